/**
 * zCDP conversions against dp.md §3: the improved-conversion column (continuous α; mpmath values that round
 * to dp.md's 6 digits) and the OpenDP anchor; plus soundness properties (never below the exact Gaussian,
 * never above Bun-Steinke, rhoForEpsilon conservative).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { deltaFromRho, epsilonFromRho, gaussianRho, rhoForEpsilon } from '../../src/dp/zcdp.js';
import { gaussianDelta, gaussianEpsilon } from '../../src/dp/gaussian.js';
import { delta, epsilon, l2Sensitivity, rho, sigma } from '../../src/dp/types.js';

function close(actual: number, expected: number, rel: number, label = ''): void {
  const err = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(err <= rel, `${label} got ${actual}, want ${expected} (relative error ${err.toExponential(2)})`);
}

const D5 = delta(1e-5);

test('§3 improved conversion at δ = 1e-5 (table column; mpmath digits), rounded up', () => {
  const rows: ReadonlyArray<readonly [number, number, number]> = [
    // rho, dp.md value, mpmath 40-digit value
    [0.005, 0.375261, 0.375261235699023], [0.01, 0.545726, 0.545725548274002], [0.05, 1.308118, 1.30811834290644],
    [0.1, 1.914239, 1.9142388320036], [0.5, 4.728387, 4.72838698494331], [1, 7.077197, 7.07719669580634],
    [2, 10.724824, 10.7248241129392],
  ];
  for (const [r, table, precise] of rows) {
    const eps = epsilonFromRho(rho(r), D5);
    close(eps, precise, 1e-12, `ρ=${r}`);
    assert.ok(eps >= precise * (1 - 1e-14), 'never rounds down');
    assert.ok(Math.abs(eps - table) <= 5e-7, `rounds to dp.md's ${table}`);
  }
});

test('§3 OpenDP anchor: ρ = 1/32 gives ε(δ=1e-3) = 0.6880024554878086 and δ(ε=0) = 0.1508457845622862', () => {
  const eps = epsilonFromRho(rho(1 / 32), delta(1e-3));
  close(eps, 0.6880024554878086, 1e-12);
  assert.ok(eps >= 0.6880024554878084);
  close(deltaFromRho(rho(1 / 32), epsilon(0)), 0.1508457845622862, 1e-12);
});

test('§3 the improved conversion is looser than exact and tighter than Bun-Steinke (the table rows)', () => {
  for (const [r, exact, bs] of [[0.005, 0.340669, 0.484853], [0.05, 1.199370, 1.567427], [2, 9.997256, 11.597052]] as const) {
    const eps = epsilonFromRho(rho(r), D5);
    assert.ok(eps > exact && eps < bs, `ρ=${r}: ${exact} < ${eps} < ${bs}`);
    close(gaussianEpsilon(D5, Math.sqrt(2 * r)), exact, 2e-6);
  }
});

test('ρ = Δ²/(2σ²) and the §1.1 RDP anchor α/(2σ²) at σ = 2.71828', () => {
  close(gaussianRho(l2Sensitivity(1), sigma(2.71828)) * 3.14159, 3.14159 / (2 * 2.71828 ** 2), 1e-14);
  close(gaussianRho(l2Sensitivity(5), sigma(10)), 0.125, 1e-14);
});

test('edge cases: ρ = 0 is free; δ(ε) never exceeds 1', () => {
  assert.equal(epsilonFromRho(rho(0), D5), 0);
  assert.equal(deltaFromRho(rho(0), epsilon(1)), 0);
  assert.equal(rhoForEpsilon(epsilon(0), D5), 0);
  assert.ok(deltaFromRho(rho(50), epsilon(0)) <= 1);
});

test('property: the conversion is sound (δ from ρ ≥ the exact Gaussian δ at μ = √(2ρ)) and consistent both ways', () => {
  fc.assert(fc.property(fc.double({ min: 1e-4, max: 20, noNaN: true }), fc.constantFrom(1e-3, 1e-5, 1e-9), (r, d) => {
    const eps = epsilonFromRho(rho(r), delta(d));
    const exactDelta = gaussianDelta(eps, Math.sqrt(2 * r));
    const back = deltaFromRho(rho(r), epsilon(eps));
    return exactDelta <= d * (1 + 1e-9) && back <= d * (1 + 1e-6) && back >= d * (1 - 1e-6);
  }), { numRuns: 200 });
});

test('property: rhoForEpsilon is the largest ρ within ε (conservative side)', () => {
  fc.assert(fc.property(fc.double({ min: 0.01, max: 30, noNaN: true }), fc.constantFrom(1e-3, 1e-5, 1e-9), (e, d) => {
    const r = rhoForEpsilon(epsilon(e), delta(d));
    return epsilonFromRho(r, delta(d)) <= e && epsilonFromRho(rho(r * (1 + 1e-9)), delta(d)) > e * (1 - 1e-9);
  }), { numRuns: 150 });
});

test('§1.4 RDP anchor: σ = 4.530877117 gives ε = 1 at δ = 1e-6 (fine order grid); exact is 0.927392', () => {
  const r = rho(1 / (2 * 4.530877117 ** 2));
  close(epsilonFromRho(r, delta(1e-6)), 1, 1e-6);
  close(gaussianEpsilon(delta(1e-6), 1 / 4.530877117), 0.927392, 1e-6);
});

test('§3 order grid: σ = 50, δ = 1e-5: continuous α 0.06573 (Google grid 0.07020), exact 0.05863', () => {
  close(epsilonFromRho(rho(1 / (2 * 50 * 50)), D5), 0.06573, 1e-4);
  close(gaussianEpsilon(D5, 1 / 50), 0.05863, 1e-4);
});

test('§8: the continuous-α conversion lies between the exact ε and Google\'s order-grid RDP column', () => {
  const rows: ReadonlyArray<readonly [number, number, number, number]> = [
    // sigma, k, exact, RDP (Google DEFAULT_RDP_ORDERS)
    [0.5, 1, 9.99725614643, 10.725510], [1, 1, 4.37717809568, 4.728507], [1, 10, 17.8565868301, 19.053598],
    [2, 1, 1.99309140442, 2.165716], [2, 10, 7.51127590074, 8.079406], [5, 1, 0.725521750858, 0.794522],
    [5, 10, 2.59438338053, 2.813653], [10, 1, 0.340669364684, 0.375291], [10, 10, 1.19936957375, 1.308497],
    [20, 1000, 7.51127590074, 8.079406],
  ];
  for (const [s, k, exact, rdp] of rows) {
    const eps = epsilonFromRho(rho(k / (2 * s * s)), D5);
    assert.ok(eps > exact && eps <= rdp + 5e-7, `σ=${s} k=${k}: ${exact} < ${eps} ≤ ${rdp}`);
  }
});
