#!/usr/bin/env bash
# The device figures in ONE run, with the card's name: onnxruntime-node's execution providers (cpu, cuda, webgpu:
# which start, parity with the CPU), time-to-LoRA on the reference pack, and the SD pack trainer's steps/s and peak
# memory on a random-weight SD1.5 UNet at 512 px. Writes everything to $OUT (gpu-figures.txt, sdpack-speed.json).
#
#   here, once:       bash bench/device/prepare-carry.sh          (fills the git-ignored .device-carry/)
#   on the device:    run(command="bash bench/device/gpu-figures.sh", carry=[".device-carry"], timeout_s=540)
#   on a CPU (proof): OUT=/tmp/gf bash bench/device/gpu-figures.sh --tiny
#
# --tiny: 64 px, 1 measured step of 1 set × 1 image, smaller time-to-LoRA sizes (minutes on a CPU). Otherwise:
# STEPS (default 20) measured steps at RES (default 512) px, 4 sets × 4 images per step. Every part has its own time
# limit, so the whole run stays under 8 minutes on an H100; a part that cannot run says why and the rest go on.
set -u -o pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
tiny=0; [ "${1:-}" = "--tiny" ] && tiny=1
carry=${DEVICE_CARRY:-.device-carry}
steps=${STEPS:-20}; res=${RES:-512}; groups=4; per_set=4; sizes=128,1024; cpu=""
warmup=2
[ $tiny = 1 ] && { steps=1; res=64; groups=1; per_set=1; sizes=32; cpu="--cpu"; warmup=0; }
exec > >(tee "$out/gpu-figures.txt") 2>&1
start=$(date +%s)
py=""
for c in ${PYTHON:-python3 /usr/bin/python3}; do
  if command -v "$c" >/dev/null && "$c" -c 'import torch' 2>/dev/null; then py=$c; break; fi
done

echo "== machine ($(date -u +%FT%TZ))"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi: none (no NVIDIA GPU here)"
[ -n "$py" ] && "$py" -c 'import torch; c = torch.cuda.is_available(); print("torch", torch.__version__, "| cuda:", torch.cuda.get_device_name(0) if c else "not available")'
echo "cpus $(nproc), node $(command -v node >/dev/null && node --version || echo 'not installed')"

echo; echo "== onnxruntime-node execution providers (bench/provider-parity.ts, reference pack)"
if command -v node >/dev/null && [ -d node_modules/onnxruntime-node ]; then
  timeout 60 node --import tsx bench/provider-parity.ts --runs 3 || echo "provider-parity stopped (status $?)"
else
  echo "not measurable here: Node.js or node_modules is missing (node_modules does not travel to the device machine)"
  [ -n "$py" ] && "$py" -c 'import onnxruntime as o; print("for reference only, Python onnxruntime", o.__version__, "providers:", o.get_available_providers())' 2>/dev/null
fi

echo; echo "== time-to-LoRA, reference pack (bench/time-to-lora.ts --sizes $sizes; the product's CPU provider)"
if command -v node >/dev/null && [ -d node_modules/onnxruntime-node ]; then
  timeout 90 node --import tsx bench/time-to-lora.ts --sizes "$sizes" || echo "time-to-lora stopped (status $?)"
else
  echo "not measurable here: Node.js or node_modules is missing"
fi

echo; echo "== SD pack trainer, random-weight SD1.5 UNet at ${res} px (bench/device/sdpack_speed.py)"
if [ -z "$py" ]; then
  echo "not measurable here: no Python with PyTorch"
elif [ ! -f "$carry/comfyui/comfy/sd.py" ] || [ ! -f "$carry/random_sd15_unet.py" ]; then
  echo "not measurable here: $carry is missing (run bench/device/prepare-carry.sh and carry .device-carry)"
else
  unet=$(mktemp -d)/random_sd15_unet.safetensors
  PYTHONPATH="$PWD/$carry/shims" timeout 90 "$py" "$carry/random_sd15_unet.py" "$PWD/$carry/comfyui" "$unet" 2>&1 \
    | grep -v '^WARNING:root'
  [ -s "$unet" ] && PYTHONPATH="$PWD/$carry/shims" PYTHONUNBUFFERED=1 timeout 220 "$py" bench/device/sdpack_speed.py --comfy "$carry/comfyui" \
      --unet "$unet" --steps "$steps" --warmup "$warmup" --resolution "$res" --groups "$groups" --loss-images "$per_set" $cpu \
      --out "$out/sdpack-speed.json" 2>&1 | grep -v '^WARNING:root' \
    || echo "sdpack_speed stopped (status $?)"
  rm -f "$unet"
fi
echo; echo "== done in $(( $(date +%s) - start )) s; figures in $out"
