// Samples a few images from the bundled reference pack (models/reference/), base and with a LoRA made by its
// own hypernetwork, and checks them end to end: the LoRA written to safetensors and read back drives the
// sampler to the same images, samples are reproducible from the seed, and FID/KL are computable. Skipped
// until the trained pack exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { loadPack } from '../../src/pack/manifest.js';
import { runHypernet } from '../../src/pack/hypernet.js';
import { loraToSafetensors } from '../../src/lora/assemble.js';
import { loraFromSafetensors } from '../../src/lora/read-lora.js';
import { parseSafetensors } from '../../src/lora/safetensors-reader.js';
import { resolveLayout } from '../../src/lora/layouts/resolve.js';
import { LORA_METADATA_SCHEMA } from '../../src/lora/metadata.js';
import { VERSION } from '../../src/version.js';
import { loraScale, UnetEpsModel } from '../../src/diffusion/unet-model.js';
import { sampleDdim } from '../../src/diffusion/sampler.js';
import { samplesToNetworkInput } from '../../src/diffusion/images.js';
import { extractFeatures } from '../../src/diffusion/features.js';
import { fid } from '../../src/diffusion/fid.js';
import { SeededNormal } from '../../src/diffusion/sampling-noise.js';

const dir = new URL('../../models/reference/', import.meta.url).pathname;
const present = existsSync(`${dir}manifest.json`);

test('reference pack: base and LoRA samples, LoRA file round trip, FID', { skip: present ? false : 'models/reference/ not built yet' }, async () => {
  const pack = await loadPack(dir);
  const m = pack.manifest;
  assert.ok(m.sampler, 'the reference pack has a sampler');
  const layout = resolveLayout(m.lora);
  const hyper = await ort.InferenceSession.create(pack.filePath(m.hypernet.file));
  // A public, arbitrary embedding of norm C/2 (not from any data set): enough to get a non-trivial LoRA.
  const e = new SeededNormal('reference-pack-test').fill(m.embeddingDim);
  const norm = Math.hypot(...e);
  const outputs = await runHypernet(hyper, m.hypernet.inputName, e.map((v) => (v / norm) * m.dp.clipNorm * 0.5));
  const bytes = loraToSafetensors({
    outputs, layout, rank: m.lora.rank, alpha: m.lora.alpha,
    metadata: {
      schema: LORA_METADATA_SCHEMA, mechanism: 'dp-deepsets-discrete-gaussian', relation: 'add-remove', countTreatment: 'noisy-count',
      epsilon: 1, delta: 1e-6, clipNorm: m.dp.clipNorm, sigmaSum: 1, sigmaCount: 1, releaseNumber: 0, packId: m.id, packVersion: m.version,
      layout: layout.name, rank: m.lora.rank, alpha: m.lora.alpha, toolVersion: VERSION,
    },
  });
  const fromFile = loraFromSafetensors(parseSafetensors(bytes), layout);
  const unet = await ort.InferenceSession.create(pack.filePath(m.sampler.file));
  const scale = loraScale(1, m.lora.alpha, m.lora.rank);
  const common = {
    imageShape: { channels: m.encoder.channels, height: m.encoder.height, width: m.encoder.width }, count: 4, steps: 10,
    timesteps: m.sampler.timesteps, schedule: m.sampler.schedule, pixelRange: m.sampler.pixelRange, seed: 5,
  };
  const base = await sampleDdim({ ...common, model: new UnetEpsModel(unet, { modules: layout.modules, rank: m.lora.rank }) });
  const direct = await sampleDdim({ ...common, model: new UnetEpsModel(unet, { modules: layout.modules, rank: m.lora.rank, lora: { factors: outputs, scale } }) });
  const viaFile = await sampleDdim({ ...common, model: new UnetEpsModel(unet, { modules: layout.modules, rank: fromFile.rank, lora: { factors: fromFile.factors, scale } }) });
  assert.deepEqual([...viaFile.data], [...direct.data], 'the F32 file reproduces the hypernetwork\'s LoRA exactly');
  assert.ok(base.data.every((v) => Number.isFinite(v) && v >= m.sampler!.pixelRange[0] && v <= m.sampler!.pixelRange[1]));
  assert.ok(base.data.some((v, i) => v !== direct.data[i]), 'the LoRA changes the samples');
  const again = await sampleDdim({ ...common, model: new UnetEpsModel(unet, { modules: layout.modules, rank: m.lora.rank }) });
  assert.deepEqual([...again.data], [...base.data], 'same seed, same samples');
  if (m.features !== undefined) {
    const fs = await ort.InferenceSession.create(pack.filePath(m.features.file));
    const spec = { inputName: m.features.inputName, featuresName: m.features.featuresName };
    const fa = await extractFeatures(fs, spec, samplesToNetworkInput(base, m.encoder.normalise), base.dims);
    const fb = await extractFeatures(fs, spec, samplesToNetworkInput(direct, m.encoder.normalise), direct.dims);
    assert.ok(Number.isFinite(fid(fa.features, fa.count, fb.features, fb.count, fa.featureDim)));
  }
});
