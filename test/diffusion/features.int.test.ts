// Feature extraction through a real features.onnx (the shared tiny feature network) and a small end-to-end
// evaluation: sample base and LoRA images from the shared test pack, extract features, compute FID and KL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { buildTinyFeatures, seededWeights } from '../helpers/onnx-builder.js';
import { writeTestPack } from '../helpers/test-packs.js';
import { extractFeatures } from '../../src/diffusion/features.js';
import { fid } from '../../src/diffusion/fid.js';
import { classHistogram, klDivergence } from '../../src/diffusion/class-histogram.js';
import { sampleDdim } from '../../src/diffusion/sampler.js';
import { samplesToNetworkInput } from '../../src/diffusion/images.js';
import { loraScale, UnetEpsModel } from '../../src/diffusion/unet-model.js';
import { SeededNormal } from '../../src/diffusion/sampling-noise.js';
import { isDpError } from '../../src/errors.js';

const spec = { inputName: 'images', featuresName: 'features', logitsName: 'logits' };

test('features and logits equal tanh(x·Wf) and features·Wc, whatever the batch size', async () => {
  const s = await ort.InferenceSession.create(buildTinyFeatures({ channels: 1, height: 3, width: 3, featureDim: 4, classes: 5 }));
  const n = 7;
  const images = new SeededNormal(1).fill(n * 9);
  const whole = await extractFeatures(s, spec, images, [n, 1, 3, 3]);
  const batched = await extractFeatures(s, spec, images, [n, 1, 3, 3], 3);
  assert.deepEqual(batched, whole);
  assert.equal(whole.featureDim, 4);
  assert.equal(whole.classes, 5);
  // The same weights the builder used (seed 4 and 5, see buildTinyFeatures).
  const wf = seededWeights(9 * 4, 4, 1 / 3);
  const wc = seededWeights(4 * 5, 5, 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 4; j++) {
      let pre = 0;
      for (let k = 0; k < 9; k++) pre += images[i * 9 + k]! * wf[k * 4 + j]!;
      assert.ok(Math.abs(whole.features[i * 4 + j]! - Math.tanh(pre)) < 1e-5, `feature ${i},${j}`);
    }
    for (let c = 0; c < 5; c++) {
      let logit = 0;
      for (let j = 0; j < 4; j++) logit += whole.features[i * 4 + j]! * wc[j * 5 + c]!;
      assert.ok(Math.abs(whole.logits![i * 5 + c]! - logit) < 1e-5, `logit ${i},${c}`);
    }
  }
  const noLogits = await extractFeatures(s, { inputName: 'images', featuresName: 'features' }, images, [n, 1, 3, 3]);
  assert.equal(noLogits.logits, undefined);
  await assert.rejects(extractFeatures(s, { ...spec, featuresName: 'nope' }, images, [n, 1, 3, 3]),
    (e: unknown) => isDpError(e, 'ONNX_RUNTIME') && e.message.startsWith('features.onnx failed: '));
});

test('end to end on the shared test pack: base vs LoRA samples → features → FID and class KL', async () => {
  const pack = await writeTestPack({ target: 'reference' });
  try {
    const unet = await ort.InferenceSession.create(`${pack.dir}/unet.onnx`);
    const features = await ort.InferenceSession.create(`${pack.dir}/features.onnx`);
    const rank = 4;
    const factors = Object.fromEntries(pack.modules.flatMap((m) => [
      [`${m.key}.lora_down.weight`, { dims: [rank, m.in], data: new SeededNormal(`d${m.key}`).fill(rank * m.in) }],
      [`${m.key}.lora_up.weight`, { dims: [m.out, rank], data: new SeededNormal(`u${m.key}`).fill(m.out * rank) }],
    ]));
    const common = { imageShape: { channels: 1, height: 28, width: 28 }, count: 12, steps: 4, timesteps: 1000,
      schedule: { kind: 'linear' as const, betaStart: 0.0001, betaEnd: 0.02 }, pixelRange: [-1, 1] as const, seed: 3 };
    const normalise = { mean: [0.5], std: [0.5] };
    const featuresOf = async (model: UnetEpsModel): Promise<Awaited<ReturnType<typeof extractFeatures>>> => {
      const samples = await sampleDdim({ ...common, model });
      return extractFeatures(features, spec, samplesToNetworkInput(samples, normalise), samples.dims);
    };
    const a = await featuresOf(new UnetEpsModel(unet, { modules: pack.modules, rank }));
    const b = await featuresOf(new UnetEpsModel(unet, { modules: pack.modules, rank, lora: { factors, scale: loraScale(1, 4, rank) } }));
    const same = fid(a.features, a.count, a.features, a.count, a.featureDim);
    const different = fid(a.features, a.count, b.features, b.count, a.featureDim);
    assert.ok(same < 1e-9, `FID(base, base) = ${same}`);
    assert.ok(different > 1e-6, `FID(base, LoRA) = ${different}`);
    const kl = klDivergence(classHistogram(b.logits!, b.count, 10), classHistogram(a.logits!, a.count, 10));
    assert.ok(Number.isFinite(kl) && kl >= 0);
  } finally {
    await pack.cleanup();
  }
});
