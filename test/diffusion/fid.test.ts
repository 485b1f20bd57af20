import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fid, frechetDistance, gaussianStats } from '../../src/diffusion/fid.js';
import { classHistogram, klDivergence } from '../../src/diffusion/class-histogram.js';
import { isDpError } from '../../src/errors.js';

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tolerance ${tol})`);
}

/** Rows {μ ± s} per dimension (two rows): sample mean μ, unbiased variance 2s². */
function pairSet(mu: number[], s: number[]): Float64Array {
  return Float64Array.from([...mu.map((m, j) => m - s[j]!), ...mu.map((m, j) => m + s[j]!)]);
}

test('identical feature sets have FID 0', () => {
  const f = Float32Array.from({ length: 50 * 8 }, (_, i) => Math.sin(i * 1.7) + (i % 8) * 0.1);
  close(fid(f, 50, f, 50, 8), 0, 1e-9, 'FID(A, A)');
});

test('1-D closed form: (μ₁ − μ₂)² + (σ₁ − σ₂)²', () => {
  // Sample variances 2s²: σ₁ = √2·1, σ₂ = √2·3.
  const a = pairSet([1], [1]);
  const b = pairSet([4], [3]);
  close(fid(a, 2, b, 2, 1), 9 + (Math.SQRT2 - 3 * Math.SQRT2) ** 2, 1e-12, '1-D FID');
});

test('independent dimensions: sum of per-dimension closed forms', () => {
  // Four rows (±s in dim 0 crossed with ±t in dim 1) make an exactly diagonal sample covariance.
  const rows = (mu: [number, number], s: number, t: number): number[] =>
    [[-1, -1], [-1, 1], [1, -1], [1, 1]].flatMap(([u, v]) => [mu[0] + u! * s, mu[1] + v! * t]);
  const a = Float64Array.from(rows([0, 0], 1, 2));
  const b = Float64Array.from(rows([1, -2], 3, 0.5));
  // Unbiased variance of {±s, ±s} over 4 rows: 4s²/3, so σ = 2s/√3.
  const sd = (x: number): number => (2 * x) / Math.sqrt(3);
  const expected = 1 + 4 + (sd(1) - sd(3)) ** 2 + (sd(2) - sd(0.5)) ** 2;
  close(fid(a, 4, b, 4, 2), expected, 1e-10, 'diagonal FID');
});

test('a correlated 3-D case equals training/fid.py (numpy eigh) to 1e-10', () => {
  // Reference: /usr/bin/python3 -c "from training.fid import fid; import numpy as np; print(fid(np.array(A), np.array(B)))"
  const a = Float64Array.from([1, 2, 0, 0, 1, 1, 2, 0, 1, 1, 1, 3, 0, 2, 2, 3, 1, 0]);
  const b = Float64Array.from([0, 0, 1, 1, 3, 1, 2, 2, 2, 0, 1, 0, 1, 0, 2, 2, 1, 1, 4, 1, 3]);
  close(fid(a, 6, b, 7, 3), 2.0285591417032744, 1e-10, 'FID vs numpy');
  // The distance is symmetric even though the formula is not written symmetrically.
  close(fid(b, 7, a, 6, 3), 2.0285591417032744, 1e-10, 'FID(B, A)');
});

test('gaussianStats: unbiased covariance; bad input refused', () => {
  const s = gaussianStats(Float64Array.from([0, 0, 2, 4]), 2, 2);
  assert.deepEqual([...s.mean], [1, 2]);
  assert.deepEqual(s.cov.to2DArray(), [[2, 4], [4, 8]]);
  assert.throws(() => gaussianStats(new Float64Array(3), 1, 3), (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') &&
    e.message === 'FID needs at least 2 feature rows of width ≥ 1; got 3 values for 1×3');
  assert.throws(() => frechetDistance(s, gaussianStats(new Float64Array(6), 2, 3)), (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') &&
    e.message === 'FID: feature widths differ (2 vs 3)');
});

test('class histogram of argmax logits, and floored KL equal to training/fid.py', () => {
  const logits = Float32Array.from([0.1, 2, 0, 5, 1, 1, 0, 0, 3, 0, 9, -1]);
  assert.deepEqual([...classHistogram(logits, 4, 3)], [0.25, 0.5, 0.25]);
  // Reference: kl_divergence(np.array([0.5,0.5,0.0]), np.array([0.25,0.25,0.5])) = 0.6921262436166087
  close(klDivergence([0.5, 0.5, 0], [0.25, 0.25, 0.5]), 0.6921262436166087, 1e-14, 'KL');
  assert.equal(klDivergence([0.2, 0.8], [0.2, 0.8]), 0);
});
