"""Shared run-time helpers: seeding, determinism, CPU threads, progress display.

API:
- ``setup_torch(threads=2)``: set torch threads and deterministic algorithms (call once per process).
- ``seed_all(seed) -> torch.Generator``: seed python/numpy/torch and return a fresh torch generator.
- ``Progress(total, label)``: a tiny single-line progress display on stderr (``update(n, **info)``, ``close()``).
- ``log(msg)``: timestamped line on stderr.
- ``REPO_ROOT``: the repository root (a pathlib.Path).
"""
from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parent.parent


_INTEROP_SET = False


def pick_device(requested: str = "auto") -> torch.device:
    """The device to train on: ``auto`` = CUDA when torch sees a GPU, else the CPU; ``cpu`` or ``cuda`` by name.

    Randomness stays on CPU generators on every device (noise and timesteps are drawn on the CPU and moved), so a
    seed gives the same draws on a GPU as here; the arithmetic (and so the weights) differs in the last bits.
    """
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested not in ("cpu", "cuda"):
        raise ValueError(f"device {requested!r} is not one of auto, cpu, cuda")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ValueError("device cuda was asked for, but torch sees no CUDA GPU (torch.cuda.is_available() is False); "
                         "use --device cpu or auto, or install a CUDA build of torch")
    return torch.device(requested)


def setup_torch(threads: int = 2) -> None:
    """Pin torch to ``threads`` CPU threads (the machine has 2 shared cores) and ask for determinism.

    Safe to call repeatedly: torch aborts the process (not a Python exception) if the inter-op pool is sized
    twice, so that is done once per process, and only if torch has not already started its pool.
    """
    global _INTEROP_SET
    torch.set_num_threads(threads)
    if not _INTEROP_SET:
        _INTEROP_SET = True
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            # Raised when parallel work already started; the intra-op setting is what matters.
            pass
    torch.use_deterministic_algorithms(True)


def seed_all(seed: int) -> torch.Generator:
    """Seed every RNG we use and return a torch.Generator seeded with ``seed`` for explicit use."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def log(msg: str) -> None:
    """Print a timestamped progress line to stderr (never private data: the reference world is public)."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Progress:
    """Single-line progress bar with rate and ETA, redrawn at most every 0.5 s."""

    def __init__(self, total: int, label: str) -> None:
        self.total = max(1, int(total))
        self.label = label
        self.done = 0
        self.start = time.time()
        self._last = 0.0
        self._tty = sys.stderr.isatty() and not os.environ.get("CI")

    def update(self, n: int = 1, **info: float) -> None:
        self.done += n
        now = time.time()
        if now - self._last < (0.5 if self._tty else 15.0) and self.done < self.total:
            return
        self._last = now
        elapsed = now - self.start
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        extras = " ".join(f"{k}={v:.4g}" for k, v in info.items())
        width = 24
        filled = int(width * self.done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        line = f"{self.label} [{bar}] {self.done}/{self.total} {elapsed:.0f}s eta {eta:.0f}s {extras}"
        if self._tty:
            print("\r" + line, end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> float:
        """Finish the line and return the elapsed seconds."""
        if self._tty:
            print(file=sys.stderr, flush=True)
        return time.time() - self.start


class RunContext:
    """What every stage receives: output folder, smoke flag, master seed (stages derive their own seeds)."""

    def __init__(self, out: Path, smoke: bool = False, seed: int = 0) -> None:
        self.out = Path(out)
        self.smoke = smoke
        self.seed = seed
