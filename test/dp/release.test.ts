/**
 * The release path: plans (what is public, the guarantee, the budget split), releaseMean's checks and
 * outputs, and the mean-noise helpers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADD_REMOVE, analyticGaussianSigma, clipNorm, clippedSumFor, delta, epsilon, l2Sensitivity, meanNoiseInClipUnits,
  planRelease, releaseMean, replaceOne, smallestNFor, epsilonFromRho, rhoForEpsilon, type ReleasePlan,
} from '../../src/dp/index.js';
import { chooseGrid } from '../../src/dp/grid.js';
import { releaseMeanWith } from '../../src/dp/release.js';
import { CryptoRandomSource, RandomBits } from '../../src/dp/csprng.js';
import { discreteGaussianRho, multivariateTauTerm } from '../../src/dp/discrete-gaussian-privacy.js';

const request = { epsilon: epsilon(1), delta: delta(1e-5), clipNorm: clipNorm(1), relation: ADD_REMOVE, dim: 768 } as const;

test('add-remove plan: guarantee within the target, 10% of ρ on the count, ~8% more σ than continuous', () => {
  const plan = planRelease(request);
  assert.equal(plan.mechanism, 'discrete-gaussian');
  assert.equal(plan.countShare, 0.1);
  assert.ok(plan.epsilon <= 1 && plan.epsilon > 0.999, `ε ${plan.epsilon}`);
  assert.equal(plan.epsilon, epsilonFromRho(plan.rhoTotal, plan.delta));
  assert.ok(Math.abs(plan.rhoCount / plan.rhoTotal - 0.1) < 0.002);
  assert.ok(Math.abs((plan.rhoSum + plan.rhoCount) / plan.rhoTotal - 1) < 1e-12);
  // σ_sum = Δ/√(2·0.9·ρ(1, 1e-5)): the zCDP conversion (×1.084) and the count's share (×1/√0.9).
  const analytic = analyticGaussianSigma(epsilon(1), delta(1e-5), l2Sensitivity(1));
  const ratio = plan.sigmaSum / analytic;
  assert.ok(ratio > 1.14 && ratio < 1.15, `σ ratio ${ratio}`);
  assert.ok(plan.epsilonContinuousReference < plan.epsilon && plan.epsilonContinuousReference > 0.9);
  assert.equal(plan.grid.step, 2 ** -24);
  assert.equal(plan.sensitivitySum, 1);
});

test('replace-one plan: sensitivity 2C, no count, full budget on the sum', () => {
  const plan = planRelease({ ...request, relation: replaceOne(1000) });
  assert.equal(plan.sensitivitySum, 2);
  assert.equal(plan.sigmaCount, null);
  assert.equal(plan.noiseCount, null);
  assert.equal(plan.countShare, null);
  assert.equal(plan.rhoCount, 0);
  assert.ok(plan.epsilon <= 1 && plan.epsilon > 0.9999);
  const analytic = analyticGaussianSigma(epsilon(1), delta(1e-5), l2Sensitivity(2));
  assert.ok(plan.sigmaSum / analytic > 1.08 && plan.sigmaSum / analytic < 1.09);
});

test('plans are deterministic, JSON-serialisable, and a deserialised plan still releases', () => {
  const plan = planRelease(request);
  const copy = JSON.parse(JSON.stringify(plan)) as ReleasePlan;
  assert.deepEqual(copy, planRelease(request));
  const sum = clippedSumFor(copy);
  sum.addBatch(new Float32Array(768 * 3).fill(0.01));
  const out = releaseMean(sum, copy);
  assert.equal(out.relation, 'add-remove');
});

test('bad plan requests are refused by code and message', () => {
  assert.throws(() => planRelease({ ...request, countShare: 1 }), { code: 'INVALID_ARGUMENT', message: 'countShare must be strictly between 0 and 1, got 1; the default is 0.1.' });
  assert.throws(() => planRelease({ ...request, relation: replaceOne(5), countShare: 0.2 }), { code: 'INVALID_ARGUMENT', message: /countShare applies only to add-remove/ });
  assert.throws(() => planRelease({ ...request, epsilon: 0 as never }), { code: 'INVALID_ARGUMENT', message: /epsilon must be > 0 for a release/ });
  assert.throws(() => planRelease({ ...request, delta: 0 as never }), { code: 'INVALID_ARGUMENT', message: /delta = 0 cannot be met/ });
  assert.throws(() => planRelease({ ...request, dim: 0 }), { code: 'INVALID_ARGUMENT', message: /dim must be an integer between 1 and/ });
});

test('releaseMean: outputs on the grid, mean = noisy sum / max(1, noisy count), no exact n under add-remove', () => {
  const plan = planRelease({ ...request, dim: 16 });
  const sum = clippedSumFor(plan);
  const rows = new Float64Array(16 * 50);
  for (let i = 0; i < rows.length; i++) rows[i] = ((i * 7919) % 13) / 13 - 0.5;
  sum.addBatch(rows);
  const out = releaseMean(sum, plan);
  assert.equal(out.relation, 'add-remove');
  if (out.relation !== 'add-remove') return;
  assert.ok(Number.isInteger(out.noisyCount));
  assert.ok(!('n' in out) && !('count' in out) && !('declaredN' in out));
  for (let i = 0; i < 16; i++) {
    assert.ok(Number.isInteger((out.noisySum[i] as number) / plan.grid.step), 'noisy sum is a multiple of g');
    assert.equal(out.mean[i], (out.noisySum[i] as number) / Math.max(1, out.noisyCount));
  }
  assert.equal(meanNoiseInClipUnits(out), plan.sigmaSum / Math.max(1, out.noisyCount));
});

test('releaseMean under replace-one divides by the declared n and refuses a different count', () => {
  const plan = planRelease({ ...request, dim: 4, relation: replaceOne(3) });
  const sum = clippedSumFor(plan);
  sum.addBatch(new Float64Array(12).fill(0.1));
  const out = releaseMean(sum, plan);
  assert.equal(out.relation, 'replace-one');
  if (out.relation === 'replace-one') {
    assert.equal(out.declaredN, 3);
    assert.equal(out.mean[0], (out.noisySum[0] as number) / 3);
    assert.equal(meanNoiseInClipUnits(out), plan.sigmaSum / 3);
  }
  sum.addVector(new Float64Array(4));
  assert.throws(() => releaseMean(sum, plan), { code: 'INVALID_INPUT_DATA', message: /declared with n = 3 but a different number/ });
});

test('an edited plan or a mismatched sum cannot weaken the noise', () => {
  const plan = planRelease({ ...request, dim: 4 });
  const weaker = { ...plan, noiseSum: { t: plan.noiseSum.t, m: Math.floor(plan.noiseSum.m / 4) } };
  const sum = clippedSumFor(plan);
  assert.throws(() => releaseMean(sum, weaker), { code: 'INVALID_ARGUMENT', message: /does not match what planRelease computes/ });
  const other = clippedSumFor(planRelease({ ...request, dim: 4, clipNorm: clipNorm(2) }));
  assert.throws(() => releaseMean(other, plan), { code: 'INVALID_ARGUMENT', message: /not built for this plan/ });
});

test('smallestNFor: the least n with σ_sum/(n·C) ≤ maxNoise', () => {
  const plan = planRelease(request);
  const n = smallestNFor(plan, 0.01);
  assert.ok(plan.sigmaSum / (n * 1) <= 0.01 && plan.sigmaSum / ((n - 1) * 1) > 0.01);
  assert.equal(n, Math.ceil(plan.sigmaSum / 0.01));
  assert.throws(() => smallestNFor(plan, 0), { code: 'INVALID_ARGUMENT', message: /maxNoise must be a finite number > 0/ });
});

test('multivariate discrete-Gaussian term: honest for small σ, nil at release scales', () => {
  assert.equal(multivariateTauTerm({ t: 1, m: 1 }, 1), 0);
  const small = multivariateTauTerm({ t: 1, m: 1 }, 768);
  assert.ok(small > 1 && small < 400, `σ = 1, d = 768: ${small}`);
  assert.equal(multivariateTauTerm({ t: 2 ** 25, m: 2 ** 25 }, 4096), 0);
  const rho = discreteGaussianRho(2 ** 24, { t: 2 ** 26, m: 76257479 }, 768);
  assert.ok(Math.abs(rho - 2 ** 48 / (2 * 2 ** 26 * 76257479)) / rho < 1e-14);
});

test('countShare: 0 is refused like 1, a valid share is used and recorded in the plan request', () => {
  assert.throws(() => planRelease({ ...request, countShare: 0 }), { code: 'INVALID_ARGUMENT', message: 'countShare must be strictly between 0 and 1, got 0; the default is 0.1.' });
  const plan = planRelease({ ...request, dim: 16, countShare: 0.25 });
  assert.equal(plan.countShare, 0.25);
  assert.equal(plan.request.countShare, 0.25);
  assert.ok(Math.abs(plan.rhoCount / plan.rhoTotal - 0.25) < 0.005);
  assert.equal(planRelease({ ...request, dim: 16 }).request.countShare, 0.1, 'the default share is recorded too');
});

test('the grid is chosen for the calibrated σ of the sum (it coarsens when σ is huge)', () => {
  for (const eps of [1, 1e-5]) {
    const plan = planRelease({ ...request, epsilon: epsilon(eps), dim: 64 });
    const sigmaTarget = 1 / Math.sqrt(2 * 0.9 * rhoForEpsilon(epsilon(eps), request.delta));
    assert.deepEqual(plan.grid, chooseGrid(request.clipNorm, 64, sigmaTarget), `ε = ${eps}`);
  }
  assert.notEqual(planRelease({ ...request, epsilon: epsilon(1e-5), dim: 64 }).grid.exponent, planRelease({ ...request, dim: 64 }).grid.exponent);
});

test('a plan is deeply frozen: its grid, noise scales and request cannot be edited after planning', () => {
  const plan = planRelease({ ...request, dim: 4 });
  for (const part of [plan, plan.grid, plan.noiseSum, plan.noiseCount, plan.request]) assert.ok(Object.isFrozen(part));
  assert.throws(() => { (plan.noiseSum as { m: number }).m = 1; }, TypeError);
});

test('a ClippedSum built for another dimension or grid is refused, even with the same C', () => {
  const plan = planRelease({ ...request, dim: 64 });
  assert.throws(() => releaseMean(clippedSumFor(planRelease({ ...request, dim: 32 })), plan), { code: 'INVALID_ARGUMENT', message: /not built for this plan/ });
  const coarser = planRelease({ ...request, epsilon: epsilon(1e-5), dim: 64 });
  assert.throws(() => releaseMean(clippedSumFor(coarser), plan), { code: 'INVALID_ARGUMENT', message: /not built for this plan/ });
  assert.throws(() => releaseMean(clippedSumFor(plan), coarser), { code: 'INVALID_ARGUMENT', message: /not built for this plan/ });
});

test('the internal noise step refuses an add-remove plan without count noise', () => {
  const plan = planRelease({ ...request, dim: 4 });
  const broken = { ...plan, noiseCount: null };
  assert.throws(() => releaseMeanWith(clippedSumFor(plan), broken, new RandomBits(new CryptoRandomSource())), { code: 'INTERNAL', message: 'add-remove plan without count noise.' });
});
