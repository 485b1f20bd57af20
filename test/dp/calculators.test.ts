import { test } from 'node:test';
import assert from 'node:assert/strict';
import { account, calibrate } from '../../src/dp/calculators.js';
import { delta, epsilon, l2Sensitivity, rho, sigma } from '../../src/dp/types.js';
import { gaussianEpsilon } from '../../src/dp/gaussian.js';
import { epsilonFromRho, rhoForEpsilon } from '../../src/dp/zcdp.js';

const base = { epsilon: epsilon(1), delta: delta(1e-5), sensitivity: l2Sensitivity(1), releases: 1 } as const;

test('calibrate: analytic σ, and the discrete (zCDP) σ whose conversion meets the target', () => {
  const a = calibrate({ ...base, mechanism: 'analytic-gaussian' });
  assert.ok(Math.abs(a.sigma - 3.73063163481594) < 1e-9);
  assert.ok(Math.abs(a.classicSigmaForComparison - 4.84480526260539) < 1e-9);
  const d = calibrate({ ...base, releases: 4, mechanism: 'discrete-gaussian' });
  assert.ok(epsilonFromRho(d.rhoTotal, delta(1e-5)) <= 1);
  assert.ok(Math.abs(d.rhoTotal - 4 / (2 * d.sigma ** 2)) < 1e-12);
  assert.ok(d.sigma / (2 * a.sigma) > 1.08 && d.sigma / (2 * a.sigma) < 1.09);
});

test('account: exact for mixed σ with K releases each; the zCDP figure is larger', () => {
  const sigmas = [sigma(2), sigma(4), sigma(4)];
  const exact = account({ sigmas, delta: delta(1e-5), sensitivity: l2Sensitivity(1), releases: 1, mechanism: 'analytic-gaussian' });
  assert.ok(Math.abs(exact.epsilon - 2.50173997873204) < 1e-8);
  assert.ok(Math.abs(exact.rhoTotal - 0.1875) < 1e-14);
  const zcdp = account({ sigmas, delta: delta(1e-5), sensitivity: l2Sensitivity(1), releases: 1, mechanism: 'discrete-gaussian' });
  assert.ok(zcdp.epsilon > exact.epsilon && zcdp.epsilon < 2.8);
  const k = account({ sigmas: [sigma(5)], delta: delta(1e-5), sensitivity: l2Sensitivity(1), releases: 100, mechanism: 'analytic-gaussian' });
  assert.ok(Math.abs(k.epsilon - 9.99725614643) < 1e-8);
});

test('calculator arguments are checked by code and message', () => {
  assert.throws(() => calibrate({ ...base, releases: 0, mechanism: 'analytic-gaussian' }), { code: 'INVALID_ARGUMENT', message: 'releases must be an integer >= 1, got 0.' });
  assert.throws(() => calibrate({ ...base, epsilon: epsilon(0), mechanism: 'discrete-gaussian' }), { code: 'INVALID_ARGUMENT', message: 'epsilon must be > 0 to calibrate noise; pass e.g. --epsilon 1.' });
  assert.throws(() => account({ sigmas: [], delta: delta(1e-5), sensitivity: l2Sensitivity(1), releases: 1, mechanism: 'analytic-gaussian' }), { code: 'INVALID_ARGUMENT', message: 'give at least one sigma, e.g. --sigma 3.73.' });
});

test('calibrate reports every field for Δ = 2 and 3 releases: σ scales with Δ and √k, ρ is the total of all releases', () => {
  const one = calibrate({ ...base, mechanism: 'analytic-gaussian' });
  const a = calibrate({ ...base, sensitivity: l2Sensitivity(2), releases: 3, mechanism: 'analytic-gaussian' });
  // k releases at σ are one release at σ/√k, and σ is linear in Δ.
  assert.ok(Math.abs(a.sigma / (2 * Math.sqrt(3) * one.sigma) - 1) < 1e-9, `σ ${a.sigma}`);
  assert.equal(a.mechanism, 'analytic-gaussian');
  assert.deepEqual([a.epsilon, a.delta, a.sensitivity, a.releases], [1, 1e-5, 2, 3]);
  assert.ok(Math.abs(a.noiseMultiplier - a.sigma / 2) < 1e-15);
  assert.ok(Math.abs(a.rhoTotal / (3 * 4 / (2 * a.sigma ** 2)) - 1) < 1e-12, `ρ ${a.rhoTotal}`);
  assert.ok(Math.abs(a.classicSigmaForComparison - 2 * Math.sqrt(3) * 4.84480526260539) < 1e-8);
  const d = calibrate({ ...base, sensitivity: l2Sensitivity(2), releases: 3, mechanism: 'discrete-gaussian' });
  assert.equal(d.mechanism, 'discrete-gaussian');
  const rhoEach = rhoForEpsilon(epsilon(1), delta(1e-5)) / 3;
  // σ = Δ/√(2ρ) rounded UP (never below what the budget needs), by no more than a few ulps.
  const exact = 2 / Math.sqrt(2 * rhoEach);
  assert.ok(d.sigma >= exact && d.sigma <= exact * (1 + 2 ** -48), `σ ${d.sigma} vs ${exact}`);
  assert.ok(epsilonFromRho(d.rhoTotal, delta(1e-5)) <= 1);
});

test('account reports every field for Δ = 2 and 3 releases of each σ', () => {
  const input = { sigmas: [sigma(2), sigma(4)], delta: delta(1e-5), sensitivity: l2Sensitivity(2), releases: 3 } as const;
  const a = account({ ...input, mechanism: 'analytic-gaussian' });
  const mu = Math.sqrt(3 * (1 + 0.25)); // √Σ k(Δ/σ)²
  assert.ok(Math.abs(a.mu - mu) < 1e-14, `μ ${a.mu}`);
  assert.ok(Math.abs(a.rhoTotal - mu * mu / 2) < 1e-12, `ρ ${a.rhoTotal}`);
  assert.ok(Math.abs(a.sigmaEffective - 2 / mu) < 1e-14);
  assert.ok(Math.abs(a.epsilon - gaussianEpsilon(delta(1e-5), mu)) < 1e-12);
  assert.equal(a.mechanism, 'analytic-gaussian');
  assert.deepEqual([a.delta, a.sensitivity, a.releases, a.sigmas], [1e-5, 2, 3, [2, 4]]);
  const z = account({ ...input, mechanism: 'discrete-gaussian' });
  assert.equal(z.mechanism, 'discrete-gaussian');
  assert.ok(Math.abs(z.epsilon - epsilonFromRho(rho(mu * mu / 2), delta(1e-5))) < 1e-9, `ε ${z.epsilon}`);
});

test('account and the discrete calibration refuse a release count that is not an integer ≥ 1', () => {
  for (const releases of [0, 2.5]) {
    assert.throws(() => account({ sigmas: [sigma(2)], delta: delta(1e-5), sensitivity: l2Sensitivity(1), releases, mechanism: 'discrete-gaussian' }),
      { code: 'INVALID_ARGUMENT', message: `releases must be an integer >= 1, got ${releases}.` });
    assert.throws(() => calibrate({ ...base, releases, mechanism: 'discrete-gaussian' }),
      { code: 'INVALID_ARGUMENT', message: `releases must be an integer >= 1, got ${releases}.` });
  }
});
