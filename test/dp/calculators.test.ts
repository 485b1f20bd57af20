import { test } from 'node:test';
import assert from 'node:assert/strict';
import { account, calibrate } from '../../src/dp/calculators.js';
import { delta, epsilon, l2Sensitivity, sigma } from '../../src/dp/types.js';
import { epsilonFromRho } from '../../src/dp/zcdp.js';

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
