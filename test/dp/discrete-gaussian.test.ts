/**
 * Statistical tests of the exact discrete-Gaussian sampler. Each test states its false-positive rate: the
 * probability that a CORRECT sampler fails it with fresh randomness. Tests on the CSPRNG path use thresholds
 * with rate ≤ 1e-6; tests that need repeatability use a seeded generator through the internal RandomBits seam
 * (never reachable from the public API), with thresholds at rate 1e-4 for a fresh seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CryptoRandomSource, RandomBits, type RandomSource } from '../../src/dp/csprng.js';
import {
  discreteGaussianScale, MAX_SIGMA_GRID, sampleDiscreteGaussian, sampleDiscreteGaussianVector, scaleSigma,
  type DiscreteGaussianScale,
} from '../../src/dp/discrete-gaussian.js';

/** sfc32: a small seeded generator for repeatable statistical tests (test-only; src/dp never sees a seed). */
function seeded(seed: number): RandomSource {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = ((c << 21) | (c >>> 11)) + t | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 15; i++) next();
  return { nextUint32: next };
}

/** Exact pmf of N_Z(0, v) on [−range, range] (normalised over all of Z; the mass beyond 40σ is < 1e-300). */
function pmf(variance: number, range: number): Map<number, number> {
  const limit = Math.ceil(40 * Math.sqrt(variance)) + range;
  let z = 0;
  for (let y = -limit; y <= limit; y++) z += Math.exp(-(y * y) / (2 * variance));
  const out = new Map<number, number>();
  for (let y = -range; y <= range; y++) out.set(y, Math.exp(-(y * y) / (2 * variance)) / z);
  return out;
}

/** Upper p-quantile of χ²(k), Wilson-Hilferty (accurate to ~1% for k ≥ 10; z = standard normal quantile). */
function chiSquareCritical(k: number, z: number): number {
  return k * (1 - 2 / (9 * k) + z * Math.sqrt(2 / (9 * k))) ** 3;
}

function chiSquareAgainstPmf(scale: DiscreteGaussianScale, samples: Float64Array): { stat: number; df: number } {
  const variance = scale.t * scale.m;
  const range = Math.ceil(3 * Math.sqrt(variance));
  const probs = pmf(variance, range);
  const counts = new Map<number, number>();
  let tail = 0;
  for (const y of samples) {
    if (Math.abs(y) > range) tail++;
    else counts.set(y, (counts.get(y) ?? 0) + 1);
  }
  let stat = 0;
  let inside = 0;
  for (const [y, p] of probs) {
    const expected = p * samples.length;
    inside += p;
    stat += ((counts.get(y) ?? 0) - expected) ** 2 / expected;
  }
  const expectedTail = (1 - inside) * samples.length;
  stat += (tail - expectedTail) ** 2 / expectedTail;
  return { stat, df: probs.size }; // (bins + tail) − 1
}

test('scale: σ′² = t·m ≥ σ², t within a factor 2 of σ, tight for small σ', () => {
  assert.deepEqual(discreteGaussianScale(1), { t: 1, m: 1 });
  // The double nearest √2 is slightly above √2, so its square needs t·m = 3: rounding goes up, never down.
  assert.deepEqual(discreteGaussianScale(Math.SQRT2), { t: 1, m: 3 });
  assert.deepEqual(discreteGaussianScale(2), { t: 2, m: 2 });
  assert.deepEqual(discreteGaussianScale(2 ** 25), { t: 2 ** 25, m: 2 ** 25 });
  for (const s of [0.3, 1.5, Math.SQRT2, 3.7, 12.79, 100.5, 65535.2, 2 ** 25 * 1.0000001, 2 ** 36]) {
    const sc = discreteGaussianScale(s);
    assert.ok(BigInt(sc.t) * BigInt(sc.m) >= BigInt(Math.ceil(s * s)), `t·m ≥ σ² for σ=${s}`);
    if (s >= 1) assert.ok(sc.t >= s / 2 - 1 && sc.t <= 2 * s + 1, `t near σ for σ=${s}`);
    if (s >= 10) assert.ok(scaleSigma(sc) / s < 1 + 0.01, `rounding under 1% for σ=${s}`);
  }
  assert.throws(() => discreteGaussianScale(MAX_SIGMA_GRID * 2), { code: 'INTERNAL' });
  assert.throws(() => discreteGaussianScale(0), { code: 'INTERNAL' });
});

test('χ² goodness of fit against the exact pmf, σ′² ∈ {1, 2, 6, 12, 30} (seeded; FP rate 1e-4 each for a fresh seed)', () => {
  const zP = 3.719; // upper 1e-4 normal quantile
  const scales: DiscreteGaussianScale[] = [{ t: 1, m: 1 }, { t: 1, m: 2 }, { t: 2, m: 3 }, { t: 3, m: 4 }, { t: 5, m: 6 }];
  for (const [i, scale] of scales.entries()) {
    const variance = scale.t * scale.m;
    const samples = sampleDiscreteGaussianVector(new RandomBits(seeded(1000 + i)), scale, 100_000);
    const { stat, df } = chiSquareAgainstPmf(scale, samples);
    assert.ok(stat < chiSquareCritical(df, zP), `σ′²=${variance}: χ²=${stat.toFixed(1)} df=${df} critical=${chiSquareCritical(df, zP).toFixed(1)}`);
  }
});

test('binned χ² at a larger scale (t = 64, m = 150, σ′ ≈ 98: every factor of the acceptance step in play; seeded, FP rate 1e-4)', () => {
  const scale: DiscreteGaussianScale = { t: 64, m: 150 };
  const variance = scale.t * scale.m;
  const width = 10;
  const edges = 30; // bins [−300, 300) of width 10, plus the two tails
  const probs = pmf(variance, 400);
  const expected = new Array<number>(2 * edges + 2).fill(0);
  const binOf = (y: number): number => (y < -edges * width ? 0 : y >= edges * width ? 2 * edges + 1 : 1 + Math.floor((y + edges * width) / width));
  let inside = 0;
  for (const [y, p] of probs) { expected[binOf(y)]! += p; inside += p; }
  const tailMass = 1 - inside; // beyond ±400, split evenly
  expected[0]! += tailMass / 2;
  expected[2 * edges + 1]! += tailMass / 2;
  const n = 100_000;
  const counts = new Array<number>(2 * edges + 2).fill(0);
  for (const y of sampleDiscreteGaussianVector(new RandomBits(seeded(99)), scale, n)) counts[binOf(y)]! += 1;
  const stat = counts.reduce((acc, c, i) => acc + (c - (expected[i] as number) * n) ** 2 / ((expected[i] as number) * n), 0);
  const df = counts.length - 1;
  assert.ok(stat < chiSquareCritical(df, 3.719), `χ²=${stat.toFixed(1)} df=${df}`);
});

test('the χ² test has power: it rejects a sampler of the wrong variance (σ′² = 5 tested against 6)', () => {
  const samples = sampleDiscreteGaussianVector(new RandomBits(seeded(7)), { t: 2, m: 3 }, 100_000);
  const { stat, df } = chiSquareAgainstPmf({ t: 1, m: 5 }, samples);
  assert.ok(stat > chiSquareCritical(df, 3.719) * 3, `χ²=${stat}`);
});

test('mean, variance and symmetry at the release scale (σ = 2^25 grid units, CSPRNG; FP rate ≤ 1e-6 each)', () => {
  const scale = discreteGaussianScale(2 ** 25 * 1.2345);
  const n = 40_000;
  const s = scaleSigma(scale);
  const samples = sampleDiscreteGaussianVector(new RandomBits(new CryptoRandomSource()), scale, n);
  let sum = 0, sumSq = 0, positive = 0, negative = 0;
  for (const y of samples) {
    assert.ok(Number.isSafeInteger(y));
    sum += y; sumSq += y * y;
    if (y > 0) positive++; else if (y < 0) negative++;
  }
  const z = 5.0; // two-sided 5.7e-7
  assert.ok(Math.abs(sum / n) / (s / Math.sqrt(n)) < z, 'mean');
  // Var of the sample second moment is 2σ⁴/n for a Gaussian (the discrete one is within 1e-9 of it here).
  assert.ok(Math.abs(sumSq / n - s * s) / (s * s * Math.sqrt(2 / n)) < z, 'variance');
  assert.ok(Math.abs(positive - negative) / Math.sqrt(positive + negative) < z, 'symmetry');
});

test('mean, variance and symmetry for a small σ on the CSPRNG path (σ′² = 6; FP rate ≤ 1e-6 each)', () => {
  const scale: DiscreteGaussianScale = { t: 2, m: 3 };
  const n = 100_000;
  const samples = sampleDiscreteGaussianVector(new RandomBits(new CryptoRandomSource()), scale, n);
  let sum = 0, sumSq = 0, positive = 0, negative = 0;
  for (const y of samples) {
    sum += y; sumSq += y * y;
    if (y > 0) positive++; else if (y < 0) negative++;
  }
  // Exact variance of N_Z(0, 6) from the pmf (it differs from 6 by < 1e-20).
  const v = [...pmf(6, 80)].reduce((acc, [y, p]) => acc + p * y * y, 0);
  assert.ok(Math.abs(sum / n) / Math.sqrt(v / n) < 5, 'mean');
  assert.ok(Math.abs(sumSq / n - v) / Math.sqrt((3 * v * v - v * v) / n) < 5, 'variance');
  assert.ok(Math.abs(positive - negative) / Math.sqrt(positive + negative) < 5, 'symmetry');
});

test('the seam is deterministic: the same seed gives the same draws', () => {
  const scale = discreteGaussianScale(1000);
  const a = sampleDiscreteGaussianVector(new RandomBits(seeded(3)), scale, 50);
  const b = sampleDiscreteGaussianVector(new RandomBits(seeded(3)), scale, 50);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, sampleDiscreteGaussianVector(new RandomBits(seeded(4)), scale, 50));
  assert.ok(Number.isInteger(sampleDiscreteGaussian(new RandomBits(seeded(5)), discreteGaussianScale(MAX_SIGMA_GRID))));
});
