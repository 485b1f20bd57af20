/**
 * ρ of the discrete Gaussian (CKS20): Δ²/(2σ²) rounded UP, plus the multivariate correction
 * d·10(d−1)·exp(−π²σ²), which only matters for σ of about one grid unit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { discreteGaussianRho, multivariateTauTerm } from '../../src/dp/discrete-gaussian-privacy.js';
import { exactDyadic } from '../../src/dp/dyadic.js';

/** x ≥ num/den, exactly (x a positive double, num and den positive integers). */
function atLeast(x: number, num: bigint, den: bigint): boolean {
  const { mantissa, exponent } = exactDyadic(x);
  return exponent >= 0 ? mantissa * 2n ** BigInt(exponent) * den >= num : mantissa * den >= num * 2n ** BigInt(-exponent);
}

test('one coordinate: ρ = Δ²/(2·t·m), never below the exact rational, at most a few ulps above', () => {
  for (const [delta, t, m] of [[3, 7, 1], [1, 3, 5], [5, 11, 13], [2 ** 25, 2 ** 20, 3 * 2 ** 20 + 1]] as const) {
    const r = discreteGaussianRho(delta, { t, m }, 1);
    const num = BigInt(delta) * BigInt(delta);
    const den = 2n * BigInt(t) * BigInt(m);
    assert.ok(atLeast(r, num, den), `Δ=${delta}, t=${t}, m=${m}: ρ ${r} below ${num}/${den}`);
    assert.ok(r <= (Number(num) / Number(den)) * (1 + 2 ** -47), `Δ=${delta}: ρ ${r} too large`);
  }
});

test('d coordinates at σ = 1 grid unit: the correction d·10(d−1)·e^(−π²) is added (and rounded up)', () => {
  const scale = { t: 1, m: 1 };
  for (const dim of [2, 3, 10]) {
    const tau = dim * 10 * (dim - 1) * Math.exp(-Math.PI * Math.PI);
    const term = multivariateTauTerm(scale, dim);
    assert.ok(term >= tau && term <= tau * (1 + 2 ** -47), `d=${dim}: ${term} vs ${tau}`);
    const r = discreteGaussianRho(1, scale, dim);
    assert.ok(r >= 0.5 + tau && r <= (0.5 + tau) * (1 + 2 ** -46), `d=${dim}: ρ ${r}`);
  }
  assert.equal(multivariateTauTerm(scale, 1), 0);
  // At σ = 2^10 grid units the correction underflows to exactly 0.
  assert.equal(multivariateTauTerm({ t: 2 ** 10, m: 2 ** 10 }, 4096), 0);
});
