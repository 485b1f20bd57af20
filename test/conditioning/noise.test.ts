/**
 * The DP maths of the conditioning route: clipping happens in the projected k-dimensional space, the sum's
 * sensitivity is C (add-remove) or 2C (replace-one) whatever the projection, calibration is src/dp's planRelease at
 * dimension k, and the noise warning fires exactly when σ·√k/n > C/2, naming the smallest n that fits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADD_REMOVE, clipNorm, clippedSumFor, delta, epsilon, planRelease, replaceOne } from '../../src/dp/index.js';
import { fitPublicBasis, projectRows } from '../../src/conditioning/basis.js';
import { expectedNoiseNorm, noiseWarning, planConditioningRelease, smallestNForNoiseShare } from '../../src/conditioning/noise.js';

test('calibration is src/dp planRelease at dimension k with the pack C (same σ, ε, ρ)', () => {
  for (const relation of [ADD_REMOVE, replaceOne(500)]) {
    const ours = planConditioningRelease({ epsilon: 1, delta: 1e-5, relation, k: 32, clipNorm: 3 });
    const dp = planRelease({ epsilon: epsilon(1), delta: delta(1e-5), relation, clipNorm: clipNorm(3), dim: 32 });
    assert.deepEqual(ours, dp);
    assert.equal(ours.sensitivitySum, relation.kind === 'add-remove' ? 3 : 6);
    assert.equal(ours.request.dim, 32);
  }
});

test('clip in the projected space: a far-out private image moves the sum by at most C', () => {
  const d = 16;
  const rows = new Float64Array(40 * d);
  for (let i = 0; i < rows.length; i++) rows[i] = Math.sin(i * 1.7) * (1 + (i % d) / 4);
  const basis = fitPublicBasis(rows, 40, d, 4);
  const plan = planConditioningRelease({ epsilon: 1, delta: 1e-5, relation: ADD_REMOVE, k: 4, clipNorm: 0.5 });
  const outlier = new Float64Array(d).fill(1000);
  const z = projectRows(basis, outlier, 1);
  const without = clippedSumFor(plan);
  const withIt = clippedSumFor(plan);
  const inliers = projectRows(basis, rows.subarray(0, 10 * d), 10);
  without.addBatch(inliers);
  withIt.addBatch(inliers);
  withIt.addBatch(z);
  const a = without.integerSum();
  const b = withIt.integerSum();
  let moved = 0;
  for (let i = 0; i < 4; i++) moved += (((b[i] ?? 0) - (a[i] ?? 0)) * plan.grid.step) ** 2;
  assert.ok(Math.sqrt(moved) <= 0.5 + 1e-12, `moved ${Math.sqrt(moved)}`);
  assert.ok(Math.sqrt(moved) > 0.49, 'the outlier is clipped to (about) C, not dropped');
});

test('projection cuts the expected noise norm by √(d/k): the issue\'s ε = 1, n = 128 example', () => {
  const full = planConditioningRelease({ epsilon: 1, delta: 1e-5, relation: ADD_REMOVE, k: 1024, clipNorm: 1 });
  const proj = planConditioningRelease({ epsilon: 1, delta: 1e-5, relation: ADD_REMOVE, k: 32, clipNorm: 1 });
  const ratio = expectedNoiseNorm(full, 128) / expectedNoiseNorm(proj, 128);
  assert.ok(Math.abs(ratio - Math.sqrt(1024 / 32)) < 0.05, `ratio ${ratio}`);
  // The round numbers: about 1.1 C in 1024 dimensions, about 0.2 C in 32 (σ_sum = 4.26 C here).
  assert.ok(expectedNoiseNorm(full, 128) > 1.05 && expectedNoiseNorm(full, 128) < 1.08);
  assert.ok(expectedNoiseNorm(proj, 128) > 0.18 && expectedNoiseNorm(proj, 128) < 0.19);
});

test('the warning fires exactly above C/2 and names the smallest n that fits', () => {
  const plan = planConditioningRelease({ epsilon: 1, delta: 1e-5, relation: ADD_REMOVE, k: 32, clipNorm: 2 });
  const fits = smallestNForNoiseShare(plan, 0.5);
  assert.ok(expectedNoiseNorm(plan, fits) <= 1);
  assert.ok(expectedNoiseNorm(plan, fits - 1) > 1);
  assert.equal(noiseWarning(plan, fits), undefined);
  const w = noiseWarning(plan, fits - 1);
  assert.ok(w !== undefined);
  assert.match(w, new RegExp(`n ≥ ${fits} images`));
  assert.match(w, /above half the clip norm \(C\/2 = 1\)/);
});
