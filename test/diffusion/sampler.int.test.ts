// The DDIM sampler against closed forms, through real onnxruntime sessions of tiny UNets built here
// (test/helpers/onnx-builder.ts). With ε = k·x, each eta-0 DDIM step without clamping is linear:
//   x_prev = f·x,  f = √ᾱ_prev/√ᾱ_t · (1 − √(1−ᾱ_t)·k) + √(1−ᾱ_prev)·k,
// so the final sample is x_T · Π f over the timesteps; with k = 0 it is x_T / √ᾱ_first.
// The LoRA path is checked by making up·down = λ·I, so that the injected model has k = c + lora_scale·λ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { OnnxGraphBuilder } from '../helpers/onnx-builder.js';
import { writeTestPack } from '../helpers/test-packs.js';
import { alphaBars, ddimTimesteps } from '../../src/diffusion/schedule.js';
import { SeededNormal } from '../../src/diffusion/sampling-noise.js';
import { sampleDdim, type SampleDdimOptions, type SamplingProgress } from '../../src/diffusion/sampler.js';
import { loraScale, UnetEpsModel } from '../../src/diffusion/unet-model.js';
import type { NamedFloatTensor } from '../../src/lora/assemble.js';
import { isDpError } from '../../src/errors.js';

const C = 1;
const H = 4;
const W = 4;
const F = C * H * W;
const KEY = 'lora_unet_linear';
const schedule = { kind: 'linear' as const, betaStart: 0.0001, betaEnd: 0.02 };

/** ε = c·x + lora_scale · (x·downᵀ·upᵀ) + 0·t, contract-shaped (x, t, lora_scale, one F×F module). */
function linearUnet(c: number): Uint8Array {
  return new OnnxGraphBuilder()
    .input({ name: 'x', shape: ['B', C, H, W] })
    .input({ name: 't', shape: ['B'] })
    .input({ name: 'lora_scale', shape: [1] })
    .input({ name: `${KEY}.lora_down.weight`, shape: ['r', F] })
    .input({ name: `${KEY}.lora_up.weight`, shape: [F, 'r'] })
    .output({ name: 'eps', shape: ['B', C, H, W] })
    .floatInit('c', [], [c])
    .floatInit('zero', [], [0])
    .int64Init('shape', [-1, C, H, W])
    .int64Init('axis1', [1])
    .node('Flatten', ['x'], ['xf'], { axis: 1 })
    .node('Mul', ['xf', 'c'], ['base'])
    .node('Transpose', [`${KEY}.lora_down.weight`], ['downT'], { perm: [1, 0] })
    .node('Transpose', [`${KEY}.lora_up.weight`], ['upT'], { perm: [1, 0] })
    .node('MatMul', ['xf', 'downT'], ['hd'])
    .node('MatMul', ['hd', 'upT'], ['hdu'])
    .node('Mul', ['hdu', 'lora_scale'], ['delta'])
    .node('Unsqueeze', ['t', 'axis1'], ['t2'])
    .node('Mul', ['t2', 'zero'], ['tz'])
    .node('Add', ['base', 'delta'], ['s1'])
    .node('Add', ['s1', 'tz'], ['ef'])
    .node('Reshape', ['ef', 'shape'], ['eps'])
    .build('linear-unet');
}

async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
}

/** Factors with up·down = λ·I (rank F). */
function scaledIdentity(lambda: number): Record<string, NamedFloatTensor> {
  const eye = (v: number): Float32Array => Float32Array.from({ length: F * F }, (_, i) => (i % (F + 1) === 0 ? v : 0));
  return { [`${KEY}.lora_down.weight`]: { data: eye(1), dims: [F, F] }, [`${KEY}.lora_up.weight`]: { data: eye(lambda), dims: [F, F] } };
}

/** The closed-form DDIM factor Π f for ε = k·x (no clamping), in float64. */
function linearFactor(k: number, steps: number): number {
  const bars = alphaBars(schedule, 1000);
  const ts = ddimTimesteps(steps, 1000);
  let factor = 1;
  ts.forEach((t, i) => {
    const a = bars[t]!;
    const next = ts[i + 1];
    const p = next === undefined ? 1 : bars[next]!;
    factor *= (Math.sqrt(p) / Math.sqrt(a)) * (1 - Math.sqrt(1 - a) * k) + Math.sqrt(1 - p) * k;
  });
  return factor;
}

function base(model: UnetEpsModel, extra: Partial<SampleDdimOptions> = {}): SampleDdimOptions {
  return {
    model, imageShape: { channels: C, height: H, width: W }, count: 5, steps: 10, timesteps: 1000, schedule,
    pixelRange: [-1e9, 1e9], seed: 11, clipDenoised: false, ...extra,
  };
}

function assertClose(actual: Float32Array, expected: Float64Array, relTol: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i]!;
    assert.ok(Math.abs(actual[i]! - e) <= relTol * Math.max(1, Math.abs(e)), `index ${i}: ${actual[i]} vs ${e}`);
  }
}

test('ε = 0: the sample is x_T / √ᾱ_first', async () => {
  const model = new UnetEpsModel(await session(linearUnet(0)), { modules: [{ key: KEY, in: F, out: F }], rank: 2 });
  const out = await sampleDdim(base(model));
  const xT = new SeededNormal(11).fill(5 * F);
  const first = alphaBars(schedule, 1000)[900]!;
  assertClose(out.data, Float64Array.from(xT, (v) => v / Math.sqrt(first)), 1e-5);
  assert.deepEqual(out.dims, [5, C, H, W]);
});

test('ε = c·x (base model, zero factors injected): the closed-form product of step factors', async () => {
  const model = new UnetEpsModel(await session(linearUnet(0.3)), { modules: [{ key: KEY, in: F, out: F }], rank: 3 });
  const out = await sampleDdim(base(model, { steps: 20 }));
  const xT = new SeededNormal(11).fill(5 * F);
  const factor = linearFactor(0.3, 20);
  assertClose(out.data, Float64Array.from(xT, (v) => v * factor), 1e-5);
});

test('LoRA injection: up·down = λI at strength s gives k = c + s·(alpha/rank)·λ', async () => {
  const scale = loraScale(0.5, 8, F); // strength 0.5, alpha 8, rank 16 → 0.25
  assert.equal(scale, 0.25);
  const model = new UnetEpsModel(await session(linearUnet(0.3)), {
    modules: [{ key: KEY, in: F, out: F }], rank: F, lora: { factors: scaledIdentity(0.8), scale },
  });
  const out = await sampleDdim(base(model));
  const xT = new SeededNormal(11).fill(5 * F);
  const factor = linearFactor(0.3 + 0.25 * 0.8, 10);
  assertClose(out.data, Float64Array.from(xT, (v) => v * factor), 1e-5);
});

test('one step with clamping: the sample is clamp(x̂0) = clamp(x_T·(1 − √(1−ᾱ₀)·c)/√ᾱ₀, −1, 1)', async () => {
  const model = new UnetEpsModel(await session(linearUnet(2)), { modules: [{ key: KEY, in: F, out: F }], rank: 1 });
  const out = await sampleDdim(base(model, { steps: 1, pixelRange: [-1, 1], clipDenoised: true, count: 8 }));
  const a0 = alphaBars(schedule, 1000)[0]!;
  const xT = new SeededNormal(11).fill(8 * F);
  const expected = Float64Array.from(xT, (v) => Math.min(1, Math.max(-1, (v * (1 - Math.sqrt(1 - a0) * 2)) / Math.sqrt(a0))));
  assertClose(out.data, expected, 1e-6);
  assert.ok(out.data.some((v) => v === 1 || v === -1), 'some values were clamped');
});

test('batching does not change the samples; progress counts every model call', async () => {
  const model = new UnetEpsModel(await session(linearUnet(0.3)), { modules: [{ key: KEY, in: F, out: F }], rank: 2 });
  const progress: SamplingProgress[] = [];
  const batched = await sampleDdim(base(model, { batchSize: 2, onProgress: (p) => progress.push(p) }));
  const whole = await sampleDdim(base(model, { batchSize: 64 }));
  assert.deepEqual([...batched.data], [...whole.data]);
  assert.equal(progress.length, 30);
  assert.deepEqual(progress.at(-1), { stepsDone: 30, stepsTotal: 30, samplesDone: 5, samplesTotal: 5 });
  assert.deepEqual([progress[9]?.samplesDone, progress[19]?.samplesDone, progress[29]?.samplesDone], [2, 4, 5], 'samples finish at each batch end');
  assert.deepEqual(progress.map((p) => p.stepsDone), Array.from({ length: 30 }, (_, i) => i + 1));
});

test('cancellation, contract violations and misfit LoRAs are clear errors', async () => {
  const s = await session(linearUnet(0));
  const model = new UnetEpsModel(s, { modules: [{ key: KEY, in: F, out: F }], rank: 2 });
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(sampleDdim(base(model, { signal: ac.signal })), (e: unknown) => isDpError(e, 'CANCELLED') && e.message === 'sampling was cancelled');
  assert.throws(() => new UnetEpsModel(s, { modules: [{ key: 'lora_unet_other', in: F, out: F }], rank: 2 }),
    (e: unknown) => isDpError(e, 'PACK_INVALID') && e.message ===
      'unet.onnx does not follow the sampler contract: missing input(s) [lora_unet_other.lora_down.weight, lora_unet_other.lora_up.weight], ' +
      `unexpected input(s) [${KEY}.lora_down.weight, ${KEY}.lora_up.weight]. Re-export the pack (docs/pack-format.md, "sampler").`);
  assert.throws(() => new UnetEpsModel(s, { modules: [{ key: KEY, in: F, out: F }], rank: 4, lora: { factors: scaledIdentity(1), scale: 1 } }),
    (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') && e.message ===
      `the LoRA does not fit this UNet (rank 4): ${KEY}.lora_down.weight is [16, 16], expected [4, 16]; ${KEY}.lora_up.weight is [16, 16], expected [16, 4]`);
  const short = scaledIdentity(1);
  short[`${KEY}.lora_up.weight`] = { data: new Float32Array(F * F - 1), dims: [F, F] };
  assert.throws(() => new UnetEpsModel(s, { modules: [{ key: KEY, in: F, out: F }], rank: F, lora: { factors: short, scale: 1 } }),
    (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') && e.message ===
      `the LoRA does not fit this UNet (rank ${F}): ${KEY}.lora_up.weight holds ${F * F - 1} values, but its shape [${F}, ${F}] needs ${F * F}`);
  await assert.rejects(sampleDdim(base(model, { count: 0 })), (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') &&
    e.message === 'sampler: count 0 must be a positive integer');
});

test('the shared test pack\'s UNet: a LoRA changes the samples, strength 0 reproduces the base model', async () => {
  const pack = await writeTestPack({ target: 'reference' });
  try {
    const s = await ort.InferenceSession.create(`${pack.dir}/unet.onnx`, { executionProviders: ['cpu'] });
    const rank = 4;
    const factors: Record<string, NamedFloatTensor> = {};
    pack.modules.forEach((m, i) => {
      factors[`${m.key}.lora_down.weight`] = { dims: [rank, m.in], data: Float32Array.from({ length: rank * m.in }, (_, j) => Math.sin(i + j)) };
      factors[`${m.key}.lora_up.weight`] = { dims: [m.out, rank], data: Float32Array.from({ length: m.out * rank }, (_, j) => Math.cos(i * 3 + j)) };
    });
    const opts = { imageShape: { channels: 1, height: 28, width: 28 }, count: 3, steps: 5, timesteps: 1000, schedule, pixelRange: [-1, 1] as const, seed: 'grid' };
    const baseModel = new UnetEpsModel(s, { modules: pack.modules, rank });
    const zeroStrength = new UnetEpsModel(s, { modules: pack.modules, rank, lora: { factors, scale: loraScale(0, 4, rank) } });
    const withLora = new UnetEpsModel(s, { modules: pack.modules, rank, lora: { factors, scale: loraScale(1, 4, rank) } });
    const a = await sampleDdim({ ...opts, model: baseModel });
    const b = await sampleDdim({ ...opts, model: zeroStrength });
    const c = await sampleDdim({ ...opts, model: withLora });
    assert.deepEqual([...a.data], [...b.data]);
    assert.ok(a.data.some((v, i) => Math.abs(v - c.data[i]!) > 1e-3), 'the LoRA changes the samples');
    assert.ok(c.data.every((v) => v >= -1 && v <= 1), 'samples lie in the pixel range');
  } finally {
    await pack.cleanup();
  }
});
