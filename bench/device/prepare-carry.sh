#!/usr/bin/env bash
# Fill .device-carry/ (git-ignored) with what bench/device/gpu-figures.sh needs on a machine that has this repository
# but no ComfyUI: a ComfyUI source tree (no models), the real-comfyui import shims and the random SD1.5 UNet builder.
# About 16 MB; pass carry=[".device-carry"] to the device run.
#
#   bash bench/device/prepare-carry.sh [COMFY_SRC (default /work/comfyui-src)] [REAL_COMFYUI_TOOLS (default ../shared/tools/real-comfyui)]
set -eu
cd "$(dirname "$0")/../.."
src=${1:-/work/comfyui-src}
tools=${2:-../shared/tools/real-comfyui}
[ -d "$tools" ] || tools=/work/shared/tools/real-comfyui
[ -f "$src/comfy/sd.py" ] || { echo "prepare-carry: $src is not a ComfyUI source tree (no comfy/sd.py)" >&2; exit 2; }
[ -f "$tools/random_sd15_unet.py" ] || { echo "prepare-carry: $tools has no random_sd15_unet.py" >&2; exit 2; }
rm -rf .device-carry
mkdir -p .device-carry
# The source only: no models, no custom nodes (a link to this plugin would travel as a dangling link), no git.
tar -C "$src" --exclude=./models --exclude=./custom_nodes --exclude=./.git --exclude='*.safetensors' --exclude='*.ckpt' \
  --exclude='*.pth' --exclude='__pycache__' -cf - . | (mkdir -p .device-carry/comfyui && tar -C .device-carry/comfyui -xf -)
mkdir -p .device-carry/comfyui/models .device-carry/comfyui/custom_nodes
cp -a "$tools/shims" .device-carry/shims
cp -a "$tools/random_sd15_unet.py" .device-carry/
du -sh .device-carry
