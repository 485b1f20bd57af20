"""Bridge throughput: a 32×512×512×3 IMAGE batch sent from ComfyUI's side to the worker, through the real
bridge (shared memory for this local worker, the SDK bridge's shm.py; WebSocket frames with DP_HYPERLORA_SHM=off), next
to an in-process copy of the same bytes. bench/shm-throughput.py measures both directions of the transport alone.

    npx tsc -p tsconfig.build.json && /usr/bin/python3 bench/bridge-throughput.py [--runs 5]

The node used is DP Embed with an IMAGE input: it only wraps the received pixels (no embedding happens
there), so its worker-side compute (reported by the worker as computeMs) is tiny and is subtracted anyway.
With shared memory the float32 -> uint8 conversion writes straight into the mapped file, so the bridge's figure
includes the conversion; the yardstick is the same conversion plus an in-process copy of the uint8 bytes. Prints
MB/s (of uint8 bytes) of both and their ratio. Also prints the rate in the IMAGE's own size (float32, 4 bytes a value), the unit the issue's "3 GB for 1,000
images at 512²" uses. Target: >= 1 GB/s on loopback."""
import statistics
import sys
import time

import torch

from bridge_bench_host import start_host

RUNS = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 5
B, H, W = 32, 512, 512


def main():
    host, compute_ms = start_host()
    try:
        classes = host.plugin.NODE_CLASS_MAPPINGS
        pack = classes["DPHyperLoRA_LoadHypernetwork"]().run(pack="sd15-test")["result"][0]
        embed = classes["DPHyperLoRA_Embed"]()
        images = torch.rand(B, H, W, 3, generator=torch.Generator().manual_seed(1))
        from dp_hyperlora_plugin.bridge.values import image_to_uint8
        payload = image_to_uint8(images)
        nbytes = payload.numel()
        args = dict(pack=pack, folder="(none: use the images input)", on_unreadable="fail", images=images)
        embed.run(**args)  # warm-up (worker JIT, socket buffers)
        walls, conversions, copies, whole = [], [], [], []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            torch.mul(images, 255.0).add_(0.5).clamp_(0.0, 255.0).to(torch.uint8)  # the whole-batch conversion used before
            whole.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            image_to_uint8(images)
            conversions.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            embed.run(**args)
            walls.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            payload.clone()
            copies.append(time.perf_counter() - t0)
        mb = nbytes / 1e6
        compute = statistics.median(compute_ms[1:]) / 1000
        bridge_s = statistics.median(walls) - compute  # float IMAGE in ComfyUI -> uint8 bytes in the worker
        reference_s = statistics.median(conversions) + statistics.median(copies)
        path = "shared memory" if getattr(host.hub._conn, "shm", None) is not None else "WebSocket frames"
        print(f"IMAGE batch {B}x{H}x{W}x3: {mb:.1f} MB on the wire (uint8) through {path}, {RUNS} runs, medians")
        print(f"  whole node execution: {statistics.median(walls) * 1000:.1f} ms; worker compute {compute * 1000:.1f} ms")
        print(f"  bridge, float IMAGE -> uint8 in the worker (conversion included): {bridge_s * 1000:.1f} ms = {mb / bridge_s:.0f} MB/s")
        print(f"  (the whole-batch conversion the bridge used before: {statistics.median(whole) * 1000:.1f} ms on its own)")
        print(f"  in-process reference, conversion {statistics.median(conversions) * 1000:.1f} ms + copy {statistics.median(copies) * 1000:.1f} ms"
              f" = {reference_s * 1000:.1f} ms = {mb / reference_s:.0f} MB/s")
        fmb = images.numel() * 4 / 1e6
        print(f"  the IMAGE itself (float32, {fmb:.1f} MB) reaches the worker at {fmb / bridge_s:.0f} MB/s")
        print(f"  ratio bridge/in-process: {reference_s / bridge_s:.3f}")
        print(f"  target >= 1000 MB/s on loopback: {'met' if mb / bridge_s >= 1000 else 'NOT met'}")
    finally:
        host.close()


if __name__ == "__main__":
    main()
