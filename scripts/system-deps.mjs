#!/usr/bin/env node
// Makes sure the Debian packages the Python tests need are present (PyTorch and ONNX for training/, Fashion-MNIST,
// aiohttp for the ComfyUI stand-in host, pytest). Runs before `npm test`. As root on Debian it installs what is
// missing with apt-get (what CI and a fresh machine need); otherwise it prints the exact command and fails.
import { spawnSync } from 'node:child_process';

export const APT_PACKAGES = ['python3-torch', 'python3-onnx', 'dataset-fashion-mnist', 'python3-aiohttp',
  'python3-numpy', 'python3-pil', 'python3-pytest', 'python3-scipy'];

const missing = APT_PACKAGES.filter((p) => spawnSync('dpkg', ['-s', p], { stdio: 'ignore' }).status !== 0);
if (missing.length === 0) process.exit(0);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt) {
  console.error(`The Python tests need these Debian packages: ${missing.join(' ')}\n` +
    `Install them with: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`);
  process.exit(1);
}
console.error(`installing Debian packages for the Python tests: ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...missing]]) {
  const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (r.status !== 0) { console.error(`apt-get ${args[0]} failed (exit ${r.status})`); process.exit(1); }
}
