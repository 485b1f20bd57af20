// Loads sd15 and sdxl LoRAs written by loraToSafetensors through real ComfyUI's key mapping
// (lora_check.py: comfy.lora.model_lora_keys_unet + load_lora on a meta-device UNet). It must report every
// tensor used and no shape error. Needs a ComfyUI source tree and torch, so it runs where they are present and
// is skipped, with the reason, where they are not (CI without ComfyUI):
//   COMFYUI_SRC=/path/to/ComfyUI npm run test:integration      (DP_COMFY_SRC is accepted as an older name)
// lora_check.py and its shims/ come from $DP_LORA_CHECK_DIR, else from shared/tools/real-comfyui beside the
// repository (../shared in CI) or one level further up (a worktree under wt/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { loraToSafetensors, type NamedFloatTensor } from '../../src/lora/assemble.js';
import { SD15_LAYOUT } from '../../src/lora/layouts/sd15.js';
import { SDXL_LAYOUT } from '../../src/lora/layouts/sdxl.js';
import type { LoraLayout } from '../../src/lora/layouts/layout.js';
import { LORA_METADATA_SCHEMA } from '../../src/lora/metadata.js';
import { VERSION } from '../../src/version.js';

const comfySrc = process.env.COMFYUI_SRC ?? process.env.DP_COMFY_SRC;
const toolDir = process.env.DP_LORA_CHECK_DIR
  ?? ['../../../shared/tools/real-comfyui', '../../../../shared/tools/real-comfyui']
    .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
    .find((dir) => existsSync(join(dir, 'lora_check.py')));
const python = '/usr/bin/python3';

/** Why this machine cannot run the check (shown as the skip reason), or false when it can. */
function skipReason(): string | false {
  if (comfySrc === undefined || comfySrc === '') {
    return 'COMFYUI_SRC is not set: point it at a ComfyUI 0.3.64 source tree (COMFYUI_SRC=/path/to/ComfyUI) to run this check';
  }
  if (!existsSync(join(comfySrc, 'comfy', 'lora.py'))) return `COMFYUI_SRC=${comfySrc} holds no comfy/lora.py: point it at a ComfyUI source tree`;
  if (toolDir === undefined || !existsSync(join(toolDir, 'lora_check.py'))) {
    return 'lora_check.py not found: set DP_LORA_CHECK_DIR to the folder holding lora_check.py and shims/ (shared/tools/real-comfyui)';
  }
  if (!existsSync(python)) return `${python} not found: the check runs ComfyUI's own Python code`;
  const torch = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 });
  if (torch.status !== 0) return `${python} cannot import torch (${(torch.stderr.trim().split('\n').at(-1) ?? '').slice(0, 200)}): install torch (CPU) to run this check`;
  return false;
}
const skip = skipReason();

/** Seeded uniform values in [-0.05, 0.05) (a 32-bit LCG: test data only). */
function randomFactors(layout: LoraLayout, rank: number, seed: number): Record<string, NamedFloatTensor> {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 / 10 - 0.05;
  };
  const out: Record<string, NamedFloatTensor> = {};
  for (const m of layout.modules) {
    out[`${m.key}.lora_down.weight`] = { dims: [rank, m.in], data: Float32Array.from({ length: rank * m.in }, next) };
    out[`${m.key}.lora_up.weight`] = { dims: [m.out, rank], data: Float32Array.from({ length: m.out * rank }, next) };
  }
  return out;
}

for (const layout of [SD15_LAYOUT, SDXL_LAYOUT]) {
  test(`real ComfyUI loads our ${layout.name} LoRA: every tensor used, no shape error`, { skip }, (t) => {
    const rank = 4;
    const bytes = loraToSafetensors({
      outputs: randomFactors(layout, rank, layout.name === 'sd15' ? 15 : 20),
      layout, rank, alpha: 2, dtype: 'F16',
      metadata: {
        schema: LORA_METADATA_SCHEMA, mechanism: 'dp-deepsets-discrete-gaussian', relation: 'add-remove', countTreatment: 'noisy-count',
        epsilon: 1, delta: 1e-6, clipNorm: 1, sigmaSum: 5, sigmaCount: 10, releaseNumber: 0, packId: `test-${layout.name}`,
        packVersion: '0.0.1', layout: layout.name, rank, alpha: 2, toolVersion: VERSION,
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'dp-lora-check-'));
    try {
      const file = join(dir, `${layout.name}.safetensors`);
      writeFileSync(file, bytes);
      const r = spawnSync(python, [join(toolDir as string, 'lora_check.py'), comfySrc as string, file, layout.name], {
        env: { ...process.env, PYTHONPATH: join(toolDir as string, 'shims') }, encoding: 'utf8', timeout: 300_000,
      });
      const report = r.stdout.trim().split('\n').at(-1) ?? '';
      t.diagnostic(`lora_check.py: ${report}`);
      const n = layout.modules.length;
      assert.equal(report, `${layout.name}: ${n} modules patched; 0 of ${3 * n} tensors unused; 0 shape errors`, r.stderr.slice(-2000));
      assert.equal(r.status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
