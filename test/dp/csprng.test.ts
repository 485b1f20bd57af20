/**
 * The CSPRNG pool and the exact uniform / Bernoulli draws built on it. Statistical thresholds have a stated
 * false-positive rate for a correct implementation (≤ 1e-6 each, z = 5).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { CryptoRandomSource, RandomBits, type RandomSource } from '../../src/dp/csprng.js';
import * as publicApi from '../../src/dp/index.js';

/** A source that replays fixed words: checks exact bit handling, not randomness. */
function replay(words: readonly number[]): RandomSource {
  let i = 0;
  return { nextUint32: () => words[i++ % words.length] as number };
}

test('bits() hands out the low bits first and crosses word boundaries exactly', () => {
  const r = new RandomBits(replay([0xdeadbeef, 0x12345678]));
  assert.equal(r.bits(4), 0xf);
  assert.equal(r.bits(28), 0xdeadbee);
  assert.equal(r.bits(8), 0x78);
  assert.equal(r.bits(32), 0xef123456); // 24 bits left of word 2, then 8 from word 3 (= word 1 again)
  const r2 = new RandomBits(replay([0xffffffff]));
  assert.equal(r2.bits(52), 2 ** 52 - 1);
  assert.equal(r2.bit(), 1);
});

test('uniformInt: exact range for small, 2^32 and >2^32 moduli; rejects m < 1', () => {
  const r = new RandomBits(new CryptoRandomSource());
  for (const m of [1, 2, 3, 7, 2 ** 32, 2 ** 32 + 3, 2 ** 53 - 1]) {
    for (let i = 0; i < 2000; i++) {
      const x = r.uniformInt(m);
      assert.ok(Number.isSafeInteger(x) && x >= 0 && x < m, `uniformInt(${m}) gave ${x}`);
    }
  }
  assert.throws(() => r.uniformInt(0), { code: 'INTERNAL' });
});

test('uniformInt(m) is uniform (χ², m = 6 and 10; FP rate ≤ 1e-6)', () => {
  const r = new RandomBits(new CryptoRandomSource());
  for (const m of [6, 10]) {
    const n = 120_000;
    const counts = new Array<number>(m).fill(0);
    for (let i = 0; i < n; i++) counts[r.uniformInt(m)]! += 1;
    const e = n / m;
    const chi = counts.reduce((acc, c) => acc + (c - e) ** 2 / e, 0);
    // χ²(5) and χ²(9) upper 1e-6 quantiles: 35.9 and 43.9.
    assert.ok(chi < (m === 6 ? 35.9 : 43.9), `m=${m}: χ²=${chi}`);
  }
});

test('bernoulli(num/den) has mean num/den, including a non-dyadic and a near-1 probability (FP rate ≤ 1e-6)', () => {
  const r = new RandomBits(new CryptoRandomSource());
  for (const [num, den] of [[1, 3], [2, 7], [999, 1000], [1, 2 ** 40], [0, 5], [5, 5]] as const) {
    const n = 100_000;
    let hits = 0;
    for (let i = 0; i < n; i++) if (r.bernoulli(num, den)) hits++;
    const p = num / den;
    const sd = Math.sqrt((p * (1 - p)) / n);
    if (p === 0 || p === 1) assert.equal(hits, p * n);
    else assert.ok(Math.abs(hits / n - p) <= 5 * sd + 1 / n, `${num}/${den}: ${hits / n}`);
  }
});

test('the pool refills: more than 64 KiB of words are all drawn and not constant', () => {
  const src = new CryptoRandomSource();
  const seen = new Set<number>();
  for (let i = 0; i < 40_000; i++) seen.add(src.nextUint32());
  assert.ok(seen.size > 39_000);
});

test('the public surface exposes no randomness seam (no source, sampler or seeded release)', () => {
  const names = Object.keys(publicApi);
  for (const hidden of ['RandomBits', 'CryptoRandomSource', 'releaseMeanWith', 'sampleDiscreteGaussian', 'sampleDiscreteGaussianVector']) {
    assert.ok(!names.includes(hidden), `${hidden} must not be exported from src/dp/index.ts`);
  }
});

test('CryptoRandomSource hands out exactly the words of webcrypto.getRandomValues, 64 KiB per refill', (t) => {
  // Replaces the OS CSPRNG by a counter for this test only, to prove that every word comes from it, in order.
  let calls = 0;
  t.mock.method(webcrypto, 'getRandomValues', <T extends ArrayBufferView | null>(array: T): T => {
    const words = array as unknown as Uint32Array;
    for (let i = 0; i < words.length; i++) words[i] = (calls * 0x10000 + i * 2654435761) >>> 0;
    calls++;
    return array;
  });
  const src = new CryptoRandomSource();
  for (let i = 0; i < 16384; i++) assert.equal(src.nextUint32(), (i * 2654435761) >>> 0, `word ${i}`);
  assert.equal(calls, 1);
  assert.equal(src.nextUint32(), 0x10000, 'the 16,385th word starts a fresh 64 KiB pool');
  assert.equal(calls, 2);
});

test('no privacy noise touches Math.random: a release with Math.random poisoned still works', (t) => {
  t.mock.method(Math, 'random', () => { throw new Error('Math.random was called on the privacy-noise path'); });
  const plan = publicApi.planRelease({
    epsilon: publicApi.epsilon(1), delta: publicApi.delta(1e-5), clipNorm: publicApi.clipNorm(1), relation: publicApi.ADD_REMOVE, dim: 8,
  });
  const sum = publicApi.clippedSumFor(plan);
  sum.addBatch(new Float64Array(8 * 3).fill(0.1));
  // More than one 64 KiB pool of words, so a refill happens with the poison in place.
  for (let i = 0; i < 3000; i++) publicApi.releaseMean(sum, plan);
  const bits = new RandomBits(new CryptoRandomSource());
  for (let i = 0; i < 20_000; i++) bits.uniformInt(1000);
});
