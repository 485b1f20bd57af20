"""dp-hyperlora reference world (PyTorch side): tiny Fashion-MNIST diffusion model, DP-DeepSets
encoder + hypernetwork, DP accounting mirror of src/dp, and the exporter of the reference pack.

Run everything with ``/usr/bin/python3 -m training.run_all [--smoke] [--out DIR]``.
"""
