/**
 * The release step draw by draw, and the checks that keep a ClippedSum tied to its plan, one field at a time.
 *
 * The noise step is replayed through the internal seam releaseMeanWith (never exported from index.ts) with a
 * seeded test source: the same stream must give noisy sum[i] = (integer sum[i] + draw i)·g for i < d, in order,
 * then noisy count = n + draw d. The distribution alone cannot tell +noise from −noise (the discrete Gaussian is
 * symmetric) or see one extra draw; the replay can. The split API (releaseNoisyCount, releaseMeanGivenCount) is
 * checked for its refusals and its divisor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADD_REMOVE, ClippedSum, clipNorm, clippedSumFor, delta, epsilon, planRelease, replaceOne, type ReleasePlan } from '../../src/dp/index.js';
import { RandomBits, type RandomSource } from '../../src/dp/csprng.js';
import { sampleDiscreteGaussian } from '../../src/dp/discrete-gaussian.js';
import { releaseMeanGivenCount, releaseMeanWith, releaseNoisyCount } from '../../src/dp/release.js';

/** xorshift32 words: a repeatable test stream (src/dp never takes a seed). */
function seeded(seed: number): RandomSource {
  let x = seed >>> 0 || 1;
  return { nextUint32: () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; } };
}

const D = 8;
const base = { epsilon: epsilon(1), delta: delta(1e-5), clipNorm: clipNorm(1), dim: D } as const;

function filledSum(plan: ReleasePlan, rows: number): ClippedSum {
  const sum = clippedSumFor(plan);
  const data = new Float64Array(rows * D);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 37) % 11) / 40 - 0.12;
  sum.addBatch(data);
  return sum;
}

test('add-remove: noisy sum = (integer sum + the next d draws)·g in coordinate order, then noisy count = n + the next draw', () => {
  const plan = planRelease({ ...base, relation: ADD_REMOVE });
  const sum = filledSum(plan, 5);
  const noiseCount = plan.noiseCount;
  assert.ok(noiseCount !== null, 'an add-remove plan has count noise');
  for (const seed of [1, 2, 3]) {
    const out = releaseMeanWith(sum, plan, new RandomBits(seeded(seed)));
    const replay = new RandomBits(seeded(seed));
    const integer = sum.integerSum();
    assert.equal(out.relation, 'add-remove');
    if (out.relation !== 'add-remove') return;
    for (let i = 0; i < D; i++) {
      const want = ((integer[i] as number) + sampleDiscreteGaussian(replay, plan.noiseSum)) * plan.grid.step;
      assert.equal(out.noisySum[i], want, `seed ${seed}, coordinate ${i}`);
    }
    assert.equal(out.noisyCount, 5 + sampleDiscreteGaussian(replay, noiseCount), `seed ${seed}: count`);
    const divisor = Math.max(1, out.noisyCount);
    for (let i = 0; i < D; i++) assert.equal(out.mean[i], (out.noisySum[i] as number) / divisor);
  }
});

test('replace-one: noisy sum = (integer sum + the next d draws)·g, mean = noisy sum / declared n, no count drawn', () => {
  const plan = planRelease({ ...base, relation: replaceOne(4) });
  const sum = filledSum(plan, 4);
  const out = releaseMeanWith(sum, plan, new RandomBits(seeded(9)));
  const replay = new RandomBits(seeded(9));
  const integer = sum.integerSum();
  assert.equal(out.relation, 'replace-one');
  for (let i = 0; i < D; i++) {
    assert.equal(out.noisySum[i], ((integer[i] as number) + sampleDiscreteGaussian(replay, plan.noiseSum)) * plan.grid.step);
    assert.equal(out.mean[i], (out.noisySum[i] as number) / 4);
  }
});

test('a ClippedSum that differs from the plan in any one of C, d, grid exponent, inner clip norm or norm bound is refused', () => {
  const plan = planRelease({ ...base, relation: ADD_REMOVE });
  const g = plan.grid;
  const variants: [string, ClippedSum][] = [
    ['C', new ClippedSum(clipNorm(2), D, { ...g, clipGrid: 2 / g.step })],
    ['d', new ClippedSum(plan.request.clipNorm, D + 1, g)],
    ['exponent', new ClippedSum(plan.request.clipNorm, D, { ...g, exponent: g.exponent + 1 })],
    ['clipInner', new ClippedSum(plan.request.clipNorm, D, { ...g, clipInner: g.clipInner * 1.5 })],
    ['normSqBound', new ClippedSum(plan.request.clipNorm, D, { ...g, normSqBound: g.normSqBound + 1000 })],
  ];
  const message = 'the ClippedSum was not built for this plan (clip norm, dimension or grid differ); use clippedSumFor(plan).';
  for (const [field, sum] of variants) {
    assert.throws(() => releaseNoisyCount(sum, plan), { code: 'INVALID_ARGUMENT', message }, `a sum with another ${field}`);
  }
  assert.equal(typeof releaseNoisyCount(new ClippedSum(plan.request.clipNorm, D, { ...g }), plan), 'number', 'an equal grid object is accepted');
});

test('split release: the noisy count only under add-remove; the mean divides by max(1, the given count) and needs an integer', () => {
  const plan = planRelease({ ...base, relation: ADD_REMOVE });
  const sum = filledSum(plan, 3);
  assert.ok(Number.isSafeInteger(releaseNoisyCount(sum, plan)));
  for (const count of [-7, 0, 1, 6]) {
    const out = releaseMeanGivenCount(sum, plan, count);
    assert.equal(out.relation, 'add-remove');
    if (out.relation !== 'add-remove') return;
    assert.equal(out.noisyCount, count);
    assert.equal(out.plan, plan);
    for (let i = 0; i < D; i++) {
      assert.ok(Number.isInteger((out.noisySum[i] as number) / plan.grid.step), 'the noisy sum is on the grid');
      assert.equal(out.mean[i], (out.noisySum[i] as number) / Math.max(1, count), `count ${count}, coordinate ${i}`);
    }
  }
  const needs = 'releaseMeanGivenCount needs an add-remove plan and the integer noisy count from releaseNoisyCount.';
  for (const bad of [2.5, Number.NaN, 2 ** 53]) {
    assert.throws(() => releaseMeanGivenCount(sum, plan, bad), { code: 'INVALID_ARGUMENT', message: needs }, `count ${bad}`);
  }
  const r1 = planRelease({ ...base, relation: replaceOne(3) });
  const r1Sum = filledSum(r1, 3);
  assert.throws(() => releaseNoisyCount(r1Sum, r1), {
    code: 'INVALID_ARGUMENT', message: 'a noisy count is released only under add-remove; under replace-one n is declared public.',
  });
  assert.throws(() => releaseMeanGivenCount(r1Sum, r1, 3), { code: 'INVALID_ARGUMENT', message: needs });
  const edited = { ...plan, noiseCount: null };
  assert.throws(() => releaseNoisyCount(sum, edited), { code: 'INVALID_ARGUMENT', message: /does not match what planRelease computes/ });
});
