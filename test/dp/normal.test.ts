import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logNormalCdf, normalCdf } from '../../src/dp/normal.js';

// Reference values: mpmath at 40 digits (log Φ(x) = log(ncdf(x))).
const LOG_PHI: ReadonlyArray<readonly [number, number]> = [
  [-40, -804.6084420137538],
  [-38, -726.5572160188201],
  [-20, -203.91715537109727],
  [-10, -53.23128515051247],
  [-1, -1.8410216450092636],
  [0, -0.6931471805599453],
  [1, -0.17275377902344988],
  [5, -2.866516129637636e-07],
];

function relErr(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

test('log Φ matches high-precision values down to −40 (≤ 1e-13 relative)', () => {
  for (const [x, expected] of LOG_PHI) {
    assert.ok(relErr(logNormalCdf(x), expected) <= 1e-13, `logNormalCdf(${x}) = ${logNormalCdf(x)}, want ${expected}`);
  }
});

test('Φ agrees with exp(log Φ) where it does not underflow, and Φ(0) = 1/2', () => {
  assert.equal(normalCdf(0), 0.5);
  for (const x of [-30, -5, -1, 0.5, 3]) assert.ok(relErr(normalCdf(x), Math.exp(logNormalCdf(x))) <= 1e-12);
  assert.equal(logNormalCdf(Number.NEGATIVE_INFINITY), Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(logNormalCdf(Number.NaN)));
});
