/**
 * The public basis: PCA through ml-matrix against numpy (fixture made by
 * test/fixtures/conditioning/make_pca_fixture.py), projection and the map back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fitPublicBasis, mapBack, median, projectRows, rowNorms } from '../../src/conditioning/basis.js';

interface Fixture {
  m: number; d: number; k: number; rows: number[]; mean: number[]; directions: number[]; variances: number[]; explainedShare: number; projected: number[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/conditioning/pca.json', import.meta.url), 'utf8')) as Fixture;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return worst;
}

test('PCA matches numpy: mean, directions (sign-fixed), variances, explained share, projections', () => {
  const basis = fitPublicBasis(Float64Array.from(fx.rows), fx.m, fx.d, fx.k);
  assert.ok(maxAbsDiff(basis.mean, fx.mean) < 1e-12);
  assert.ok(maxAbsDiff(basis.directions, fx.directions) < 1e-9, `directions differ by ${maxAbsDiff(basis.directions, fx.directions)}`);
  assert.ok(maxAbsDiff(basis.variances, fx.variances) < 1e-9);
  assert.ok(Math.abs(basis.explainedShare - fx.explainedShare) < 1e-12);
  assert.ok(maxAbsDiff(projectRows(basis, Float64Array.from(fx.rows), fx.m), fx.projected) < 1e-9);
});

test('directions are orthonormal', () => {
  const { directions: v, k, dim } = fitPublicBasis(Float64Array.from(fx.rows), fx.m, fx.d, fx.k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += (v[a * dim + j] ?? 0) * (v[b * dim + j] ?? 0);
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-12);
    }
  }
});

test('mapBack: z = 0 gives the public mean rescaled to the target norm; a projected row maps back onto its span', () => {
  const basis = fitPublicBasis(Float64Array.from(fx.rows), fx.m, fx.d, fx.k);
  const atMean = mapBack(basis, new Float64Array(fx.k), 2);
  assert.ok(Math.abs(rowNorms(atMean, 1, fx.d)[0]! - 2) < 1e-6);
  const meanNorm = rowNorms(basis.mean, 1, fx.d)[0]!;
  assert.ok(maxAbsDiff(atMean, Array.from(basis.mean, (x) => (2 * x) / meanNorm)) < 1e-6);
  // Projecting the map-back (before rescaling: target = its own norm) returns the coordinates.
  const z = [0.5, -1, 0.25, 0, 2];
  const raw = mapBack(basis, z, 0);
  assert.ok(maxAbsDiff(projectRows(basis, raw, 1), z) < 1e-5);
});

test('bad k and bad rows are refused with a message that says what to do', () => {
  assert.throws(() => fitPublicBasis(Float64Array.from(fx.rows), fx.m, fx.d, fx.m), { code: 'INVALID_ARGUMENT', message: /k = 40 .* min\(m − 1, d\) = 24; add public images or lower k/ });
  assert.throws(() => fitPublicBasis(new Float64Array([1, Number.NaN, 0, 0]), 2, 2, 1), { code: 'INVALID_INPUT_DATA', message: /NaN/ });
  assert.throws(() => mapBack(fitPublicBasis(Float64Array.from(fx.rows), fx.m, fx.d, 3), [1, 2], 1), { code: 'INVALID_ARGUMENT', message: /2 coordinates .* k = 3/ });
});

test('median of public norms', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});
