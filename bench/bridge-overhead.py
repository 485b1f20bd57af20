"""Per-execution overhead of the bridge beyond the worker's compute: a node run from ComfyUI's side (encode,
send, dispatch, wait, decode) minus the compute time the worker reports for it (computeMs).

    npx tsc -p tsconfig.build.json && /usr/bin/python3 bench/bridge-overhead.py [--runs 50]

Nodes: Load DP Hypernetwork (pack cached in the worker: almost pure overhead) and Hypernetwork LoRA on the
sd15 test pack (128 modules: 384 LoRA tensors come back as frames). Target: <= 50 ms per execution."""
import statistics
import sys
import time

from bridge_bench_host import start_host

RUNS = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 50


def measure(fn, compute_ms, runs):
    fn()  # warm-up
    overheads, walls = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        wall = (time.perf_counter() - t0) * 1000
        walls.append(wall)
        overheads.append(wall - compute_ms[-1])
    return statistics.median(walls), statistics.median(compute_ms[-runs:]), statistics.median(overheads), max(overheads)


def main():
    host, compute_ms = start_host()
    try:
        classes = host.plugin.NODE_CLASS_MAPPINGS
        load = classes["DPHyperLoRA_LoadHypernetwork"]()
        pack = load.run(pack="sd15-test")["result"][0]
        results = host.executor().run({
            "1": {"class_type": "DPHyperLoRA_LoadHypernetwork", "inputs": {"pack": "sd15-test"}},
            "2": {"class_type": "DPHyperLoRA_Embed", "inputs": {"pack": ["1", 0], "folder": "private-set", "on_unreadable": "fail"}},
            "3": {"class_type": "DPHyperLoRA_NoisyAggregate", "inputs": {"embeddings": ["2", 0], "epsilon": 1.0, "delta": 1e-5, "relation": "add-remove", "n_public": 0, "release": 1, "too_few_images": "make the LoRA anyway"}},
            "4": {"class_type": "LoraSink", "inputs": {"lora": ["5", 2]}},
            "5": {"class_type": "DPHyperLoRA_HypernetworkLoRA", "inputs": {"pack": ["1", 0], "dataset_embedding": ["3", 0], "strength_model": 1.0, "strength_clip": 1.0}},
        })
        dataset = results["3"]["result"][0]
        lora = classes["DPHyperLoRA_HypernetworkLoRA"]()
        rows = [
            ("Load DP Hypernetwork (cached pack)", lambda: load.run(pack="sd15-test"), RUNS),
            ("Hypernetwork LoRA, sd15 test pack (384 tensors back)", lambda: lora.run(pack=pack, dataset_embedding=dataset, strength_model=1.0, strength_clip=1.0), max(5, RUNS // 5)),
        ]
        print("per-execution bridge overhead (wall time minus the worker's compute), medians in ms")
        for name, fn, runs in rows:
            wall, compute, overhead, worst = measure(fn, compute_ms, runs)
            print(f"  {name}: wall {wall:.1f}  compute {compute:.1f}  overhead {overhead:.1f} (max {worst:.1f}) over {runs} runs; target <= 50: {'met' if overhead <= 50 else 'NOT met'}")
    finally:
        host.close()


if __name__ == "__main__":
    main()
