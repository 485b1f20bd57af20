"""Re-queue cost of an unchanged 10,000-image private folder, before any node runs, in one run:

    npx tsc -p tsconfig.build.json && /usr/bin/python3 bench/requeue-cost.py [--count 10000] [--px 64]

Writes COUNT random-noise PNGs (PX x PX RGB) into the stand-in ComfyUI's input folder, runs the DP chain once
(the worker embeds them all), then re-queues the same prompt, which must execute nothing. Prints the wall time
of that re-queue (ComfyUI's IS_CHANGED for DP Embed plus the cache check), and, side by side on the same files,
the change key the bridge uses now (one stat per file, bridge/paths.py) against the content hash it used
before (SHA-256 over every byte). Target: re-queue <= 1 s at 10,000 images."""
import hashlib
import os
import statistics
import sys
import time

import numpy as np
from PIL import Image

from bridge_bench_host import start_host

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "bridge"))
from workflows_api import dp_chain  # noqa: E402

COUNT = int(sys.argv[sys.argv.index("--count") + 1]) if "--count" in sys.argv else 10_000
PX = int(sys.argv[sys.argv.index("--px") + 1]) if "--px" in sys.argv else 64


def content_hash(path):
    """The previous IS_CHANGED key: every byte of every file (kept here as the baseline)."""
    h = hashlib.sha256()
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for f in sorted(files):
            full = os.path.join(root, f)
            h.update(os.path.relpath(full, path).encode() + b"\x00")
            with open(full, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
    return h.hexdigest()


def main():
    host, _ = start_host()
    try:
        import folder_paths
        folder = os.path.join(folder_paths.get_input_directory(), "big-set")
        os.makedirs(folder)
        rng = np.random.default_rng(3)
        t0 = time.perf_counter()
        for i in range(COUNT):
            Image.fromarray(rng.integers(0, 256, (PX, PX, 3), dtype=np.uint8)).save(os.path.join(folder, f"{i:05d}.png"), compress_level=1)
        size_mb = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)) / 1e6
        print(f"# {COUNT} PNGs of {PX}x{PX} RGB ({size_mb:.0f} MB) written in {time.perf_counter() - t0:.1f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        ex = host.executor()
        prompt = dp_chain("sd15-test", folder="big-set", release=1)
        t0 = time.perf_counter()
        ex.run(prompt)
        print(f"first run (embeds every image): {time.perf_counter() - t0:.1f} s")
        requeues = []
        for _ in range(3):
            t0 = time.perf_counter()
            ex.run(prompt)
            requeues.append(time.perf_counter() - t0)
            assert ex.executed == [], ex.executed
        paths = host.plugin.bridge.paths
        stat_keys, contents = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            paths.folder_content_hash(folder)
            stat_keys.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            content_hash(folder)
            contents.append(time.perf_counter() - t0)
        r, s, c = statistics.median(requeues), statistics.median(stat_keys), statistics.median(contents)
        print(f"re-queue of the unchanged folder (nothing executes): {r * 1000:.0f} ms (median of 3); target <= 1000 ms: {'met' if r <= 1 else 'NOT met'}")
        print(f"change key now (stat per file): {s * 1000:.0f} ms; before (SHA-256 of every byte, warm page cache): {c * 1000:.0f} ms; ratio before/now: {c / s:.1f}x")
    finally:
        host.close()


if __name__ == "__main__":
    main()
