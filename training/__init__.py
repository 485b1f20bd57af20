"""dp-hyperlora reference world (PyTorch side): tiny Fashion-MNIST diffusion model, DP-DeepSets
encoder + hypernetwork, DP accounting mirror of src/dp, and the exporter of the reference pack.

Run everything with ``/usr/bin/python3 -m training.run_all [--smoke] [--out DIR]``.
"""

import os as _os

# OpenMP threads that spin while waiting starve the other core on a loaded 2-core machine (one DP-SGD step measured
# 13.4 s with spinning, 0.78 s without). It only takes effect if set before torch is imported, which is why it lives
# here: every entry point (`python3 -m training.…`) imports this package first. An explicit setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
