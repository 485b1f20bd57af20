// LoRA guidance's arithmetic and validation (src/diffusion/lora-guidance.ts). The two predictors are test doubles:
// they are the combination's inputs, not the thing under test; each records its calls so that the tests can check
// which models a weight runs. The real UNet is exercised in lora-guidance.int.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLoraGuidance, LoraGuidedEps, MAX_LORA_GUIDANCE } from '../../src/diffusion/lora-guidance.js';
import type { EpsPredictor } from '../../src/diffusion/unet-model.js';
import { isDpError } from '../../src/errors.js';

type Dims = readonly [number, number, number, number];

/** A predictor returning fixed values; records (t, dims, first x value) per call. */
class FixedEps implements EpsPredictor {
  readonly calls: Array<{ t: number; dims: Dims; x0: number }> = [];
  constructor(private readonly values: readonly number[]) {}
  predict(x: Float32Array, dims: Dims, t: number): Promise<Float32Array> {
    this.calls.push({ t, dims, x0: x[0] ?? Number.NaN });
    return Promise.resolve(Float32Array.from(this.values));
  }
}

const DIMS: Dims = [1, 1, 2, 2];
const X = Float32Array.of(0.25, -0.5, 1, 2);
const BASE = [1, -2, 0.5, 0];
const LORA = [3, -2, -0.5, 0.25];

test('w = 2 gives eps_base + 2·(eps_lora − eps_base) = 2·lora − base, with one call of each model at the same x and t', async () => {
  const base = new FixedEps(BASE);
  const lora = new FixedEps(LORA);
  const g = new LoraGuidedEps({ base, lora, weight: 2 });
  const eps = await g.predict(X, DIMS, 417);
  assert.deepEqual([...eps], [5, -2, -1.5, 0.5]);
  assert.deepEqual(base.calls, [{ t: 417, dims: DIMS, x0: 0.25 }]);
  assert.deepEqual(lora.calls, [{ t: 417, dims: DIMS, x0: 0.25 }]);
});

test('fractional and extrapolating weights follow the formula element by element (float64, stored as float32)', async () => {
  for (const w of [0.5, 1.5, 3, MAX_LORA_GUIDANCE]) {
    const eps = await new LoraGuidedEps({ base: new FixedEps(BASE), lora: new FixedEps(LORA), weight: w }).predict(X, DIMS, 0);
    assert.deepEqual([...eps], BASE.map((b, i) => Math.fround(b + w * (LORA[i]! - b))), `w = ${w}`);
  }
  const eps = await new LoraGuidedEps({ base: new FixedEps(BASE), lora: new FixedEps(LORA), weight: 1.5 }).predict(X, DIMS, 0);
  assert.deepEqual([...eps], [4, -2, -1, 0.375]);
});

test('w = 1 runs only the LoRA model and returns its eps unchanged (the same array)', async () => {
  const base = new FixedEps(BASE);
  const loraOut = Float32Array.from(LORA);
  const lora: EpsPredictor = { predict: () => Promise.resolve(loraOut) };
  const g = new LoraGuidedEps({ base, lora, weight: 1 });
  assert.equal(await g.predict(X, DIMS, 3), loraOut);
  assert.equal(base.calls.length, 0, 'no base forward at w = 1');
});

test('w = 0 runs only the base model and returns its eps', async () => {
  const base = new FixedEps(BASE);
  const lora = new FixedEps(LORA);
  const g = new LoraGuidedEps({ base, lora, weight: 0 });
  assert.deepEqual([...await g.predict(X, DIMS, 3)], BASE);
  assert.equal(lora.calls.length, 0, 'no LoRA forward at w = 0');
});

test('a weight that is not finite or outside [0, 10] is INVALID_ARGUMENT at construction, saying the range and what to do', () => {
  for (const w of [-0.01, -1, 10.5, 11, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    assert.throws(() => new LoraGuidedEps({ base: new FixedEps(BASE), lora: new FixedEps(LORA), weight: w }), (e: unknown) => {
      assert.ok(isDpError(e, 'INVALID_ARGUMENT'), String(e));
      assert.ok(e.message.startsWith(`LoRA guidance ${String(w)} is not a usable guidance weight`), e.message);
      assert.match(e.message, /finite number from 0 to 10 \(1 = the LoRA alone, 0 = the base model/);
      assert.match(e.message, /Pass a value in that range\.$/);
      return true;
    });
  }
  assert.throws(() => checkLoraGuidance(12, '--guidance'), /^DpHyperLoraError: --guidance 12 is not a usable guidance weight/);
  assert.equal(checkLoraGuidance(0), 0);
  assert.equal(checkLoraGuidance(10), 10);
});

test('eps of different lengths from the two models is PACK_INVALID, not a silent partial mix', async () => {
  const g = new LoraGuidedEps({ base: new FixedEps(BASE), lora: new FixedEps([1, 2]), weight: 2 });
  await assert.rejects(g.predict(X, DIMS, 0), (e: unknown) => isDpError(e, 'PACK_INVALID') && /returned 4 values and the LoRA model 2/.test(e.message));
});
