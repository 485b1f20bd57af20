/**
 * The noise that releaseMean adds, measured through the public API (planRelease → clippedSumFor → releaseMean,
 * CSPRNG noise, nothing seeded): its variance matches the σ that the guarantee is computed from, with enough
 * power that a σ × 0.75 bug (variance × 0.5625, true ε ≈ 1.34 instead of 1) fails by a wide margin.
 *
 * Expected σ, independent of release.ts: ρ = rhoForEpsilon(ε, δ) (pinned against reference values in
 * zcdp.test.ts), split 90/10 between sum and count, σ = Δ/√(2ρ_part) (zCDP of a Gaussian, Bun & Steinke 2016,
 * Prop. 1.6). The plan may round σ up to the sampler's exact scale, never down, and by less than 1%.
 *
 * Power and false-positive rate. For R Gaussian draws the sample variance has relative standard error √(2/R).
 *   - sum: 4,000 releases × 64 coordinates = 256,000 draws, SE 0.28%; the ±3% band is 10.6 SE (false alarm
 *     < 10⁻²⁵); σ × 0.75 moves the variance by −43.75% (156 SE).
 *   - count: one draw per release, R = 60,000 releases → SE 0.58%; ±3% is 5.2 SE, so a correct sampler fails
 *     with probability ≤ 2·10⁻⁷; σ × 0.75 is 75 SE away. The count's noise does not depend on d (asserted:
 *     the d = 1 and d = 64 plans have the same count scale), so these releases use d = 1 to stay fast.
 *   - means: |mean| ≤ 5 SE (false alarm ≤ 6·10⁻⁷ each).
 * The discrete Gaussian's variance differs from σ² by less than 10⁻¹⁰ relative at these scales (σ ≥ 12 grid
 * units), far inside the band. About 1-2 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADD_REMOVE, clipNorm, clippedSumFor, delta, epsilon, planRelease, releaseMean, replaceOne, rhoForEpsilon,
  type MeanRelease, type ReleasePlan,
} from '../../src/dp/index.js';

const D = 64;
const N_ROWS = 6;
const EPS = epsilon(1);
const DELTA = delta(1e-5);

/** Six rows in the clip ball (‖row‖ ≤ 0.5 < C = 1), so clipping leaves them alone and the exact sum is known. */
function sumFor(plan: ReleasePlan): { sum: ReturnType<typeof clippedSumFor>; exact: Float64Array } {
  const dim = plan.request.dim;
  const sum = clippedSumFor(plan);
  const rows = new Float64Array(N_ROWS * dim);
  for (let r = 0; r < N_ROWS; r++) for (let i = 0; i < dim; i++) rows[r * dim + i] = (i + r) % 2 === 0 ? 0.0625 : -0.0625;
  sum.addBatch(rows);
  const exact = new Float64Array(dim);
  for (let r = 0; r < N_ROWS; r++) for (let i = 0; i < dim; i++) exact[i] = (exact[i] as number) + (rows[r * dim + i] as number);
  return { sum, exact };
}

/** Mean and variance (about the known zero mean of the noise: no degree of freedom lost) of the draws. */
class Moments {
  private n = 0;
  private s1 = 0;
  private s2 = 0;
  add(x: number): void { this.n++; this.s1 += x; this.s2 += x * x; }
  get count(): number { return this.n; }
  get mean(): number { return this.s1 / this.n; }
  get variance(): number { return this.s2 / this.n; }
}

function assertVariance(m: Moments, sigma: number, what: string): void {
  const ratio = m.variance / sigma ** 2;
  assert.ok(Math.abs(ratio - 1) <= 0.03, `${what}: empirical variance / σ² = ${ratio.toFixed(4)} over ${m.count} draws (must be within ±3%)`);
  const seMean = sigma / Math.sqrt(m.count);
  assert.ok(Math.abs(m.mean) <= 5 * seMean, `${what}: noise mean ${m.mean} is ${(m.mean / seMean).toFixed(1)} SE from 0`);
}

test('add-remove at d = 64: sum and count noise variances are σ_sum² and σ_count² (±3%), σ from the claimed ε', () => {
  const plan = planRelease({ epsilon: EPS, delta: DELTA, clipNorm: clipNorm(1), relation: ADD_REMOVE, dim: D });
  const rho = rhoForEpsilon(EPS, DELTA);
  const sigmaSumExpected = 1 / Math.sqrt(2 * 0.9 * rho);
  const sigmaCountExpected = 1 / Math.sqrt(2 * 0.1 * rho);
  assert.ok(plan.sigmaSum >= sigmaSumExpected * (1 - 1e-12) && plan.sigmaSum < sigmaSumExpected * 1.01, `plan σ_sum ${plan.sigmaSum} vs ${sigmaSumExpected}`);
  const sigmaCount = plan.sigmaCount as number;
  assert.ok(sigmaCount >= sigmaCountExpected * (1 - 1e-12) && sigmaCount < sigmaCountExpected * 1.01, `plan σ_count ${sigmaCount} vs ${sigmaCountExpected}`);

  const { sum, exact } = sumFor(plan);
  const sumNoise = new Moments();
  for (let r = 0; r < 4_000; r++) {
    const out = releaseMean(sum, plan);
    for (let i = 0; i < D; i++) sumNoise.add((out.noisySum[i] as number) - (exact[i] as number));
  }
  assertVariance(sumNoise, sigmaSumExpected, 'sum noise');

  const plan1 = planRelease({ ...plan.request, dim: 1 });
  assert.deepEqual(plan1.noiseCount, plan.noiseCount, 'the count noise does not depend on d');
  const one = sumFor(plan1).sum;
  const countNoise = new Moments();
  for (let r = 0; r < 60_000; r++) {
    const out = releaseMean(one, plan1);
    assert.equal(out.relation, 'add-remove');
    if (out.relation !== 'add-remove') return;
    countNoise.add(out.noisyCount - N_ROWS);
  }
  assertVariance(countNoise, sigmaCountExpected, 'count noise');
});

test('replace-one at d = 64: sum noise variance is σ_sum² (±3%) with Δ = 2C', () => {
  const plan = planRelease({ epsilon: EPS, delta: DELTA, clipNorm: clipNorm(1), relation: replaceOne(N_ROWS), dim: D });
  const sigmaExpected = 2 / Math.sqrt(2 * rhoForEpsilon(EPS, DELTA));
  assert.ok(plan.sigmaSum >= sigmaExpected * (1 - 1e-12) && plan.sigmaSum < sigmaExpected * 1.01, `plan σ_sum ${plan.sigmaSum} vs ${sigmaExpected}`);
  const { sum, exact } = sumFor(plan);
  const noise = new Moments();
  // 2,000 releases × 64 coordinates = 128,000 draws: SE 0.4%, ±3% is 7.5 SE.
  for (let r = 0; r < 2_000; r++) {
    const out = releaseMean(sum, plan);
    for (let i = 0; i < D; i++) noise.add((out.noisySum[i] as number) - (exact[i] as number));
  }
  assertVariance(noise, sigmaExpected, 'replace-one sum noise');
});

/** The mean divides by max(1, noisy count): a noisy count ≤ 0 must not flip or blow up the mean. */
function assertClampedMean(out: MeanRelease): void {
  assert.equal(out.relation, 'add-remove');
  if (out.relation !== 'add-remove') return;
  const divisor = Math.max(1, out.noisyCount);
  for (let i = 0; i < D; i++) {
    assert.equal(out.mean[i], (out.noisySum[i] as number) / divisor);
    assert.ok(Number.isFinite(out.mean[i]) && Math.abs(out.mean[i] as number) <= Math.abs(out.noisySum[i] as number));
  }
}

test('a small set (n = 6) whose noisy count falls below 1 still gets mean = noisy sum / max(1, noisy count)', () => {
  // σ_count ≈ 12.8, so P[noisy count < 1] = P[Z < −5/12.8] ≈ 0.35 per release; 400 releases all ≥ 1 has
  // probability 0.65^400 < 10⁻⁷⁴, so the clamp is exercised in every run (asserted below).
  const plan = planRelease({ epsilon: EPS, delta: DELTA, clipNorm: clipNorm(1), relation: ADD_REMOVE, dim: D });
  const { sum } = sumFor(plan);
  let below = 0;
  let negative = 0;
  for (let r = 0; r < 400; r++) {
    const out = releaseMean(sum, plan);
    assertClampedMean(out);
    if (out.relation === 'add-remove' && out.noisyCount < 1) below++;
    if (out.relation === 'add-remove' && out.noisyCount < 0) negative++;
  }
  assert.ok(below > 0 && negative > 0, `the clamp was never exercised (${below} counts < 1, ${negative} < 0)`);
});
