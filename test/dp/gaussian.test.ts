/**
 * The continuous Gaussian accountant against /work/shared/reference/dp.md (§1.4, §1.5, §2, §8): every vector,
 * to ≤ 1e-9 relative where dp.md gives 9+ digits; where it gives 6, against mpmath (40 digits) values that
 * round to dp.md's, to ≤ 1e-9 relative. Plus the property tests of issue 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  analyticGaussianSigma, gaussianDeltaAtZero, classicGaussianSigma, compositionMu, gaussianDelta, gaussianEpsilon,
} from '../../src/dp/gaussian.js';
import { delta, epsilon, l2Sensitivity, sigma } from '../../src/dp/types.js';

function close(actual: number, expected: number, rel = 1e-9, label = ''): void {
  const err = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(err <= rel, `${label} got ${actual}, want ${expected} (relative error ${err.toExponential(2)} > ${rel})`);
}

const D5 = delta(1e-5);
const epsFor = (s: number, k = 1, d = D5): number => gaussianEpsilon(d, Math.sqrt(k) / s);

test('§8 exact ε table (Δ = 1, δ = 1e-5) incl. the intentional repeats', () => {
  const rows: ReadonlyArray<readonly [number, number, number]> = [
    [0.5, 1, 9.99725614643], [1, 1, 4.37717809568], [1, 10, 17.8565868301], [2, 1, 1.99309140442],
    [2, 10, 7.51127590074], [5, 1, 0.725521750858], [5, 10, 2.59438338053], [5, 100, 9.99725614643],
    [10, 1, 0.340669364684], [10, 10, 1.19936957375], [10, 100, 4.37717809568], [20, 1000, 7.51127590074],
  ];
  for (const [s, k, want] of rows) close(epsFor(s, k), want, 1e-10, `σ=${s} k=${k}`);
});

test('§8 extremes: σ = 100, 1000; δ = 1e-10 at σ = 0.1 and 0.5', () => {
  close(epsFor(100), 0.0272194198146, 1e-10);
  close(epsFor(1000), 0.00193872496986, 1e-10);
  close(epsFor(0.1, 1, delta(1e-10)), 112.840326704, 1e-10);
  close(epsFor(0.5, 1, delta(1e-10)), 14.2740896451, 1e-10);
});

test('§8 and §1.4 δ(ε) vectors', () => {
  const rows: ReadonlyArray<readonly [number, number, number]> = [
    // [mu, eps, delta]
    [1, 0, 0.382924922548], [1, 1, 0.126936737507], [1, 2, 0.0209236358211], [0.5, 1, 0.00682959498311],
    [Math.sqrt(10) / 5, 1, 0.0244210262453], [Math.sqrt(100) / 10, 2, 0.0209236358211], [2, 0, 0.6826894921370859],
    [0.1, 0.1, 0.008751768145810], [0.5, Math.log(3), 0.004159742234000802],
    [1, -2, 0.86749642], [1, -1, 0.67881797], [1, 0, 0.38292492], [1, 1, 0.12693674], [1, 2, 0.020923636],
    [2, -2, 0.90958223], [2, -1, 0.81968818], [2, 0, 0.68268949], [2, 1, 0.50986166], [2, 2, 0.331897999],
  ];
  for (const [mu, eps, want] of rows) close(gaussianDelta(eps, mu), want, want.toString().length > 11 ? 1e-10 : 1e-7, `μ=${mu} ε=${eps}`);
});

test('§1.4 PLD anchors: ε(δ = 0.12693674) = 1 at μ = 1; calibration to sd 1, 2 (sens 2), 4 (replace: sens 2 doubled); ε=16 → 0.344', () => {
  close(gaussianEpsilon(delta(0.1269367375066438), 1), 1, 1e-9);
  const d = delta(0.12693673750664);
  close(analyticGaussianSigma(epsilon(1), d, l2Sensitivity(1)), 1, 1e-9);
  close(analyticGaussianSigma(epsilon(1), d, l2Sensitivity(2)), 2, 1e-9);
  close(analyticGaussianSigma(epsilon(1), d, l2Sensitivity(4)), 4, 1e-9);
  close(analyticGaussianSigma(epsilon(16), delta(1.016e-5), l2Sensitivity(1)), 0.344, 2e-3);
});

test('§2 analytic calibration table (and the classic column, for comparison only)', () => {
  const rows: ReadonlyArray<readonly [number, number, number, number]> = [
    // eps, delta, analytic (mpmath; rounds to dp.md), classic
    [0.1, 1e-5, 30.7495661319775, 48.4480526260539], [0.5, 1e-5, 7.03182667558249, 9.68961052521078],
    [1, 1e-5, 3.73063163481594, 4.84480526260539], [2, 1e-5, 1.99381244564354, 2.42240263130269],
    [4, 1e-5, 1.08116184952024, 1.21120131565135], [8, 1e-5, 0.600229072198952, 0.605600657825674],
    [0.1, 1e-6, 36.3046904261958, 52.9880252685047], [0.5, 1e-6, 8.05761848072504, 10.5976050537009],
    [1, 1e-6, 4.22467888932684, 5.29880252685047], [2, 1e-6, 2.23047627118642, 2.64940126342524],
    [4, 1e-6, 1.19351858715799, 1.32470063171262], [8, 1e-6, 0.652935384358216, 0.662350315856309],
  ];
  for (const [e, d, analytic, classic] of rows) {
    const s = analyticGaussianSigma(epsilon(e), delta(d), l2Sensitivity(1));
    close(s, analytic, 1e-11, `ε=${e} δ=${d}`);
    assert.ok(s >= analytic * (1 - 1e-14), 'calibration never rounds σ down');
    close(classicGaussianSigma(epsilon(e), delta(d), l2Sensitivity(1)), classic, 1e-12);
  }
});

test('§2: the classic σ delivers 0.751 at target 1 and violates the target at 16 (18.899)', () => {
  const classicEps = (target: number): number => gaussianEpsilon(D5, 1 / classicGaussianSigma(epsilon(target), D5, l2Sensitivity(1)));
  close(classicEps(1), 0.751, 1e-3);
  close(classicEps(16), 18.899, 1e-4);
});

test('§8 k-release calibration to a total (1, 1e-5): σ_k = √k·3.730632, each checked back to ε = 1', () => {
  const rows: ReadonlyArray<readonly [number, number]> = [
    [1, 3.73063163481594], [2, 5.27590985417482], [3, 6.46164353582495], [5, 8.34194593445962], [10, 11.7972930770959],
  ];
  for (const [k, want] of rows) {
    const s = analyticGaussianSigma(epsilon(1), D5, l2Sensitivity(1), k);
    close(s, want, 1e-11, `k=${k}`);
    close(epsFor(s, k), 1, 1e-9);
    assert.ok(epsFor(s, k) <= 1 + 1e-12);
  }
});

test('§1.5 heterogeneous σ = [2, 4, 4]: σ_eff 1.632993162, ε = 2.50173998', () => {
  const mu = compositionMu([2, 4, 4].map((s) => ({ sigma: sigma(s), sensitivity: l2Sensitivity(1) })));
  close(1 / mu, 1.632993162, 1e-9);
  close(gaussianEpsilon(D5, mu), 2.50173997873204, 1e-10);
  // Same thing written as one σ = 2 plus two releases at σ = 4.
  const mu2 = compositionMu([{ sigma: sigma(2), sensitivity: l2Sensitivity(1) }, { sigma: sigma(4), sensitivity: l2Sensitivity(1), releases: 2 }]);
  close(mu2, mu, 1e-15);
});

test('§9 edge cases: μ = 0 costs nothing; δ above δ(0) gives ε = 0; μ = ∞ is unbounded', () => {
  assert.equal(gaussianEpsilon(D5, 0), 0);
  assert.equal(gaussianEpsilon(delta(0.9), 1), 0);
  assert.equal(gaussianEpsilon(D5, Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
  assert.equal(gaussianDelta(1, 0), 0);
  assert.equal(gaussianDelta(1, Number.POSITIVE_INFINITY), 1);
});

test('calibrating with ε = 0 or k < 1 is refused with a message that says what to do', () => {
  assert.throws(() => analyticGaussianSigma(epsilon(0), D5, l2Sensitivity(1)),
    { name: 'DpHyperLoraError', code: 'INVALID_ARGUMENT', message: /epsilon must be > 0 to calibrate noise/ });
  assert.throws(() => analyticGaussianSigma(epsilon(1), D5, l2Sensitivity(1), 0),
    { code: 'INVALID_ARGUMENT', message: 'releases must be an integer >= 1, got 0.' });
});

const sigmaArb = fc.double({ min: 0.2, max: 200, noNaN: true });
const kArb = fc.integer({ min: 1, max: 400 });
const deltaArb = fc.constantFrom(1e-3, 1e-5, 1e-8, 1e-10);

test('property: k releases at σ cost exactly what one release at σ/√k costs', () => {
  fc.assert(fc.property(sigmaArb, kArb, deltaArb, (s, k, d) => {
    const composed = gaussianEpsilon(delta(d), compositionMu([{ sigma: sigma(s), sensitivity: l2Sensitivity(1), releases: k }]));
    const single = gaussianEpsilon(delta(d), 1 / (s / Math.sqrt(k)));
    return Math.abs(composed - single) <= 1e-9 * Math.max(1, single);
  }), { numRuns: 200 });
});

test('property: ε decreases with σ and increases with k', () => {
  fc.assert(fc.property(sigmaArb, kArb, deltaArb, (s, k, d) => {
    const base = epsFor(s, k, delta(d));
    return epsFor(s * 1.01, k, delta(d)) <= base && epsFor(s, k + 1, delta(d)) >= base;
  }), { numRuns: 200 });
});

test('property: calibrate then account gives back ε (never more), for k releases', () => {
  fc.assert(fc.property(fc.double({ min: 0.01, max: 30, noNaN: true }), fc.integer({ min: 1, max: 50 }), deltaArb, (e, k, d) => {
    const s = analyticGaussianSigma(epsilon(e), delta(d), l2Sensitivity(1), k);
    const back = epsFor(s, k, delta(d));
    return back <= e * (1 + 1e-9) && back >= e * (1 - 1e-9);
  }), { numRuns: 150 });
});

test('edges: ε = ∞ costs no δ; δ exactly at δ(ε = 0) needs ε = 0; release counts are integers ≥ 0', () => {
  assert.equal(gaussianDelta(Number.POSITIVE_INFINITY, 1), 0);
  assert.equal(gaussianEpsilon(delta(gaussianDeltaAtZero(1)), 1), 0);
  assert.ok(gaussianEpsilon(delta(gaussianDeltaAtZero(1) * 0.999), 1) > 0);
  assert.equal(compositionMu([{ sigma: sigma(2), sensitivity: l2Sensitivity(1), releases: 0 }]), 0);
  for (const releases of [-1, 1.5]) {
    assert.throws(() => compositionMu([{ sigma: sigma(2), sensitivity: l2Sensitivity(1), releases }]),
      { code: 'INVALID_ARGUMENT', message: `releases must be an integer >= 0, got ${releases}.` });
  }
});
