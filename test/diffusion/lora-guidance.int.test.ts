// LoRA guidance on the bundled reference pack's real unet.onnx (models/reference/): for a fixed x and t and a
// non-zero LoRA (the pack's own hypernetwork on a fixed public embedding), w = 1 is exactly the plain LoRA model,
// w = 0 exactly the base model, and w = 2 is 2·ε_lora − ε_base within float32 rounding. Then through the sampler:
// DDIM with w = 1 (w = 0) reproduces the plain LoRA (base) samples bit for bit, and w = 2 gives other samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { loadPack } from '../../src/pack/manifest.js';
import { runHypernet } from '../../src/pack/hypernet.js';
import { LoraGuidedEps } from '../../src/diffusion/lora-guidance.js';
import { loraScale, UnetEpsModel } from '../../src/diffusion/unet-model.js';
import { sampleDdim } from '../../src/diffusion/sampler.js';
import { SeededNormal } from '../../src/diffusion/sampling-noise.js';

const dir = new URL('../../models/reference/', import.meta.url).pathname;
const present = existsSync(`${dir}manifest.json`);

/** Largest |a_i − b_i|. */
function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - (b[i] ?? Number.NaN))), 0);
}

test('reference pack unet.onnx: w = 1 is the LoRA model exactly, w = 0 the base exactly, w = 2 is 2·lora − base', { skip: present ? false : 'models/reference/ not built' }, async () => {
  const pack = await loadPack(dir);
  const m = pack.manifest;
  assert.ok(m.sampler, 'the reference pack has a sampler');
  const hyper = await ort.InferenceSession.create(pack.filePath(m.hypernet.file));
  const e = new SeededNormal('lora-guidance-int').fill(m.embeddingDim);
  const norm = Math.hypot(...e);
  const factors = await runHypernet(hyper, m.hypernet.inputName, e.map((v) => (v / norm) * m.dp.clipNorm * 0.5));
  await hyper.release();
  assert.ok(Object.values(factors).some((f) => f.data.some((v) => v !== 0)), 'the LoRA factors are not all zero');
  const unet = await ort.InferenceSession.create(pack.filePath(m.sampler.file));
  try {
    const base = new UnetEpsModel(unet, { modules: m.lora.modules, rank: m.lora.rank });
    const lora = new UnetEpsModel(unet, { modules: m.lora.modules, rank: m.lora.rank, lora: { factors, scale: loraScale(1, m.lora.alpha, m.lora.rank) } });
    const dims = [3, m.encoder.channels, m.encoder.height, m.encoder.width] as const;
    const x = new SeededNormal('lora-guidance-x').fill(dims.reduce((a, d) => a * d, 1));
    const t = 400;
    const epsBase = await base.predict(x, dims, t);
    const epsLora = await lora.predict(x, dims, t);
    assert.ok(maxAbsDiff(epsLora, epsBase) > 1e-3, `the LoRA changes eps (max |Δ| ${maxAbsDiff(epsLora, epsBase)})`);

    assert.deepEqual([...await new LoraGuidedEps({ base, lora, weight: 1 }).predict(x, dims, t)], [...epsLora]);
    assert.deepEqual([...await new LoraGuidedEps({ base, lora, weight: 0 }).predict(x, dims, t)], [...epsBase]);
    const guided = await new LoraGuidedEps({ base, lora, weight: 2 }).predict(x, dims, t);
    const expected = epsLora.map((l, i) => 2 * l - (epsBase[i] ?? Number.NaN));
    // |ε| is O(1): float32 rounding of 2·l − b is below 1e-6; a wrong formula would be off by |ε_lora − ε_base| > 1e-3.
    assert.ok(maxAbsDiff(guided, expected) < 1e-5, `w = 2: max |guided − (2·lora − base)| = ${maxAbsDiff(guided, expected)}`);
    assert.ok(maxAbsDiff(guided, epsLora) > 1e-3, 'w = 2 differs from the LoRA alone');

    const common = {
      imageShape: { channels: m.encoder.channels, height: m.encoder.height, width: m.encoder.width }, count: 4, steps: 6,
      timesteps: m.sampler.timesteps, schedule: m.sampler.schedule, pixelRange: m.sampler.pixelRange, seed: 3,
    };
    const baseSamples = await sampleDdim({ ...common, model: base });
    const loraSamples = await sampleDdim({ ...common, model: lora });
    const w1Samples = await sampleDdim({ ...common, model: new LoraGuidedEps({ base, lora, weight: 1 }) });
    assert.deepEqual([...w1Samples.data], [...loraSamples.data], 'w = 1 samples are the plain LoRA samples');
    const w2Samples = await sampleDdim({ ...common, model: new LoraGuidedEps({ base, lora, weight: 2 }) });
    assert.ok(maxAbsDiff(w2Samples.data, loraSamples.data) > 1e-3, 'w = 2 samples differ from the LoRA-alone samples');
    const w0Samples = await sampleDdim({ ...common, model: new LoraGuidedEps({ base, lora, weight: 0 }) });
    assert.deepEqual([...w0Samples.data], [...baseSamples.data], 'w = 0 samples are the base samples');
  } finally {
    await unet.release();
  }
});
