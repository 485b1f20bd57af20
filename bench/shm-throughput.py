"""Shared-memory tensor transport, both ways, next to in-process copies, in one run:

    /usr/bin/python3 bench/shm-throughput.py [--runs 7]

A 32x512x512x3 uint8 IMAGE batch (what the bridge sends for a float IMAGE; 25.2 MB) goes from ComfyUI's side
(the SDK's comfy_ts_bridge frames.py + shm.py, the code the bridge runs) to a worker-side peer (bench/shm_peer.ts: the
worker's src/worker/tensor-frames.ts + shared-memory.ts) and straight back. The handshake is the real one (the
bridge checks the worker's folder and probe). Only the WebSocket is replaced by a pipe, which carries the one
~150-byte frame per tensor that names the file. Times: bridge->worker = Python write + worker read; worker->bridge
= worker write + Python read; each side's in-process copy of the same bytes (torch clone; Buffer copy) is the
yardstick. Prints MB/s and ratios (medians). Targets: >= 1000 MB/s each way and >= 0.5x the in-process copy."""
import json
import os
import statistics
import struct
import subprocess
import sys
import time

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(ROOT))
sys.path.insert(0, ROOT)

from bridge.comfy_ts_bridge.frames import Reassembler, encode_frames  # noqa: E402
from bridge.comfy_ts_bridge.shm import accept_folder  # noqa: E402

RUNS = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 7
B, H, W = 32, 512, 512


def main():
    peer = subprocess.Popen(["node", "--import", "tsx", os.path.join(ROOT, "bench", "shm_peer.ts")], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    shm = accept_folder(json.loads(peer.stdout.readline()), "dp-hyperlora", "DP_HYPERLORA_SHM")
    assert shm is not None, "the handshake refused the worker's folder"
    frames = Reassembler(shm=shm)
    image = torch.randint(0, 256, (B, H, W, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    nbytes = image.numel()
    rows = []
    for i in range(RUNS + 1):
        t0 = time.perf_counter()
        out = encode_frames(f"c{i}", "t", image.numpy(), shm=shm)
        write_py = time.perf_counter() - t0
        assert len(out) == 1 and len(out[0]) < 300
        peer.stdin.write(struct.pack(">I", len(out[0])) + out[0])
        peer.stdin.flush()
        (length,) = struct.unpack(">I", peer.stdout.read(4))
        frame = peer.stdout.read(length)
        worker = json.loads(peer.stderr.readline())
        t0 = time.perf_counter()
        frames.push(frame)
        back = torch.frombuffer(frames.take(f"r{i}", "t", nbytes), dtype=torch.uint8).reshape(B, H, W, 3)
        read_py = time.perf_counter() - t0
        assert torch.equal(back[-1], image[-1]) and torch.equal(back[0], image[0])
        t0 = time.perf_counter()
        image.clone()
        copy_py = time.perf_counter() - t0
        shm.release_call(f"c{i}")
        if i > 0:  # the first round warms up both processes
            rows.append((write_py, worker["readMs"] / 1000, worker["writeMs"] / 1000, read_py, copy_py, worker["copyMs"] / 1000))
        del back
    peer.stdin.close()
    peer.wait(10)
    left = os.path.exists(shm.dir) and os.listdir(shm.dir)
    med = [statistics.median(r[k] for r in rows) for k in range(6)]
    mb = nbytes / 1e6
    to_worker, to_bridge = mb / (med[0] + med[1]), mb / (med[2] + med[3])
    copy_py, copy_node = mb / med[4], mb / med[5]
    copy = min(copy_py, copy_node)
    print(f"IMAGE batch {B}x{H}x{W}x3 uint8 = {mb:.1f} MB, {RUNS} runs (medians), load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  bridge->worker: write {med[0] * 1000:.1f} ms + read {med[1] * 1000:.1f} ms = {to_worker:.0f} MB/s")
    print(f"  worker->bridge: write {med[2] * 1000:.1f} ms + read {med[3] * 1000:.1f} ms = {to_bridge:.0f} MB/s")
    print(f"  in-process copy: Python (torch clone) {copy_py:.0f} MB/s, worker (Buffer copy) {copy_node:.0f} MB/s")
    print(f"  ratio to the slower in-process copy: bridge->worker {to_worker / copy:.2f}, worker->bridge {to_bridge / copy:.2f}")
    print(f"  targets >= 1000 MB/s and >= 0.5x copy: bridge->worker {'met' if to_worker >= 1000 and to_worker >= 0.5 * copy else 'NOT met'}, "
          f"worker->bridge {'met' if to_bridge >= 1000 and to_bridge >= 0.5 * copy else 'NOT met'}")
    print(f"  files left in the shared-memory folder after the peer exited: {len(left) if left else 0}")


if __name__ == "__main__":
    main()
