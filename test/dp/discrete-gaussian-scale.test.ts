/**
 * discreteGaussianScale exactly: the sampler's variance t·m must never fall below σ² (that would be less noise than
 * the guarantee was computed for) and should not exceed it by more than the search allows. σ² is taken as the
 * exact rational it is (dyadic.ts `ceilSquare`: ⌈σ²⌉ in BigInt; t·m ≥ σ² ⟺ t·m ≥ ⌈σ²⌉ for integers), never as
 * the double σ·σ, which can round down onto a multiple of t.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomBits, type RandomSource } from '../../src/dp/csprng.js';
import { discreteGaussianScale, MAX_SIGMA_GRID, sampleDiscreteGaussian, sampleDiscreteGaussianVector } from '../../src/dp/discrete-gaussian.js';
import { ceilSquare } from '../../src/dp/dyadic.js';

/** ⌈a/b⌉ for positive BigInts. */
const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

function assertLeastM(sigma: number): { t: number; m: number } {
  const sc = discreteGaussianScale(sigma);
  const sq = ceilSquare(sigma);
  assert.ok(Number.isSafeInteger(sc.t) && sc.t >= 1 && Number.isSafeInteger(sc.m) && sc.m >= 1, `σ = ${sigma}: ${JSON.stringify(sc)}`);
  assert.ok(BigInt(sc.t) * BigInt(sc.m) >= sq, `σ = ${sigma}: t·m = ${sc.t}·${sc.m} is below σ² (⌈σ²⌉ = ${sq})`);
  assert.ok(BigInt(sc.t) * BigInt(sc.m - 1) < sq, `σ = ${sigma}: m = ${sc.m} is not the least m for t = ${sc.t}`);
  return sc;
}

/** σ (σ ≥ 2^16, so t = 2^round(log2 σ)) whose double square σ·σ rounds down onto a multiple of t: ⌈σ·σ/t⌉ is one too small. */
const SQUARE_ROUNDS_DOWN = [143239606.62639982, 349691719.6717953, 725747877.3309215, 1320844378.36083, 1357355862.8685648, 2228246081.6675267];
/** σ < 2^16 with such a t in [σ/2, 2σ] (that t·(m − 1) would be the smallest product on offer, below σ²). */
const SQUARE_ROUNDS_DOWN_SMALL = [7357.305485026431, 29942.842350050872, 30350.591098033];

test('the inputs below are the hard case: σ·σ in floating point gives a t·m one step below σ²', () => {
  for (const sigma of SQUARE_ROUNDS_DOWN) {
    const t = 2 ** Math.round(Math.log2(sigma));
    const floatM = Math.ceil((sigma * sigma) / t);
    assert.ok(BigInt(floatM) * BigInt(t) < ceilSquare(sigma), `σ = ${sigma}`);
  }
  const smallT = [7304, 42156, 48002];
  for (const [i, sigma] of SQUARE_ROUNDS_DOWN_SMALL.entries()) {
    const t = smallT[i] as number;
    assert.ok(BigInt(Math.ceil((sigma * sigma) / t)) * BigInt(t) < ceilSquare(sigma), `σ = ${sigma}, t = ${t}`);
  }
});

test('m is the least integer with t·m ≥ σ² exactly, also where σ·σ rounds down (large and small σ)', () => {
  for (const sigma of [...SQUARE_ROUNDS_DOWN, ...SQUARE_ROUNDS_DOWN_SMALL]) assertLeastM(sigma);
  // And across the whole range, log-uniform from 10^-3 to 2^36 grid units (a fixed LCG: the same σ every run).
  let state = 20261207;
  for (let i = 0; i < 400; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const sigma = 10 ** (-3 + (state / 2 ** 31) * (Math.log10(2 ** 36) + 3));
    // σ between 2^12 and 2^16 searches up to 2^17 values of t: keep the run short by taking one in four.
    if (sigma >= 2 ** 12 && sigma < 2 ** 16 && i % 4 !== 0) continue;
    assertLeastM(sigma);
  }
  for (const sigma of [1e-200, 1e-9, 0.5, 1, 2, 3, 2 ** 16, 2 ** 36]) assertLeastM(sigma);
});

test('σ ≥ 2^16: t is the power of 2 nearest σ in log scale', () => {
  assert.deepEqual(discreteGaussianScale(2 ** 16), { t: 2 ** 16, m: 2 ** 16 });
  assert.equal(discreteGaussianScale(1.4 * 2 ** 16).t, 2 ** 16);
  assert.equal(discreteGaussianScale(1.5 * 2 ** 16).t, 2 ** 17);
  assert.equal(discreteGaussianScale(2 ** 30 * 0.7).t, 2 ** 29);
  assert.equal(discreteGaussianScale(2 ** 30 * 0.72).t, 2 ** 30);
  assert.deepEqual(discreteGaussianScale(2 ** 36), { t: 2 ** 36, m: 2 ** 36 });
});

test('σ < 2^16: t·m is the smallest over t ∈ [⌊σ/2⌋, ⌈2σ⌉]; ties go to the t nearest σ', () => {
  const sigmas = [0.3, 0.5, 1, 1.5, 1.75, 2, 2.25, 2.5, 3.3, 3.7, 4.666904755831213, 9.333809511662427, 12.79, 100.5, 1000.3, 7357.305485026431, 65535.2];
  let state = 7;
  for (let i = 0; i < 60; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    sigmas.push(1 + (state / 2 ** 31) * 3000);
  }
  for (const sigma of sigmas) {
    const sc = assertLeastM(sigma);
    const sq = ceilSquare(sigma);
    const lo = Math.max(1, Math.floor(sigma / 2));
    const hi = Math.max(1, Math.ceil(2 * sigma));
    assert.ok(sc.t >= lo && sc.t <= hi, `σ = ${sigma}: t = ${sc.t} outside [${lo}, ${hi}]`);
    const chosen = BigInt(sc.t) * BigInt(sc.m);
    for (let t = lo; t <= hi; t++) {
      const product = ceilDiv(sq, BigInt(t)) * BigInt(t);
      assert.ok(product >= chosen, `σ = ${sigma}: t = ${t} gives t·m = ${product} < ${chosen} (t = ${sc.t})`);
      if (product === chosen && t !== sc.t) {
        assert.ok(Math.abs(t - sigma) > Math.abs(sc.t - sigma), `σ = ${sigma}: t = ${t} ties with t = ${sc.t} and is nearer σ`);
      }
    }
  }
  // Ties met on the way: 1.75 (t = 1, 2, 4 all give 4), 9.33… (t = 4, 8, 11 give 88): the middle one is nearest.
  assert.deepEqual(discreteGaussianScale(1.75), { t: 2, m: 2 });
  assert.deepEqual(discreteGaussianScale(9.333809511662427), { t: 8, m: 11 });
});

test('σ outside (0, 2^36] grid units is refused by code and message', () => {
  for (const sigma of [0, -1, Number.NaN, MAX_SIGMA_GRID * 2]) {
    assert.throws(() => discreteGaussianScale(sigma), {
      code: 'INTERNAL', message: `discrete Gaussian sigma must be in (0, 2^36] grid units, got ${sigma}.`,
    });
  }
});

test('a vector of `count` draws takes exactly `count` draws from the stream, in order', () => {
  /** xorshift32: a repeatable test stream. */
  const seeded = (seed: number): RandomSource => {
    let x = seed;
    return { nextUint32: () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; } };
  };
  const scale = discreteGaussianScale(37.5);
  for (const count of [0, 1, 5]) {
    const a = new RandomBits(seeded(11));
    const b = new RandomBits(seeded(11));
    const vector = sampleDiscreteGaussianVector(a, scale, count);
    assert.equal(vector.length, count);
    for (let i = 0; i < count; i++) assert.equal(vector[i], sampleDiscreteGaussian(b, scale), `draw ${i} of ${count}`);
    assert.equal(a.bits(32), b.bits(32), `after ${count} draws both streams are at the same bit`);
  }
});
