/**
 * The only randomness used for privacy noise: a pool over the operating system's CSPRNG
 * (`crypto.getRandomValues`, node:crypto's Web Crypto), never the JavaScript engine's built-in PRNG (xorshift128+, predictable; the lint
 * rule enforces this under src/dp). There is deliberately no way to seed it.
 *
 * `RandomBits` turns 32-bit words into exact uniform integers: it hands out bits one request at a time (so a
 * fair coin costs one bit, not one word) and draws uniform integers in [0, m) by rejection, which is exact for
 * every m up to 2^53 (no modulo bias, no floating point).
 */
import { webcrypto } from 'node:crypto';
import { DpHyperLoraError } from '../errors.js';

/** A source of independent, uniformly distributed 32-bit words. */
export interface RandomSource {
  /** The next uniform integer in [0, 2^32). */
  nextUint32(): number;
}

/** 64 KiB: the most one `getRandomValues` call may fill. */
const POOL_WORDS = 16384;

/** A pooled CSPRNG: refills a 64 KiB Uint32Array from `crypto.getRandomValues` when it runs dry. */
export class CryptoRandomSource implements RandomSource {
  private readonly pool = new Uint32Array(POOL_WORDS);
  private next = POOL_WORDS;

  nextUint32(): number {
    if (this.next === POOL_WORDS) {
      webcrypto.getRandomValues(this.pool);
      this.next = 0;
    }
    return this.pool[this.next++] as number;
  }
}

function lowMask(bits: number): number {
  // (1 << 31) − 1 wraps to 0x7fffffff under `| 0`; 32 bits is the whole word.
  return bits === 32 ? -1 : ((1 << bits) - 1) | 0;
}

/** Bit-level consumer of a RandomSource with exact uniform and Bernoulli draws. */
export class RandomBits {
  private buffer = 0;
  private buffered = 0;

  constructor(private readonly source: RandomSource) {}

  /** One fresh uniform bit (the hot path of every lazy Bernoulli draw). */
  bit(): number {
    if (this.buffered === 0) {
      this.buffer = this.source.nextUint32();
      this.buffered = 32;
    }
    const b = this.buffer & 1;
    this.buffer >>>= 1;
    this.buffered--;
    return b;
  }

  /**
   * `count` (0..52) fresh uniform bits as an unsigned integer, low bits first; over 32 the high part is drawn first.
   * Between calls 0 ≤ buffered ≤ 31 (a refill keeps 32 − need < 32 bits), and the buffer's bits above `buffered`
   * are 0 (every shift is unsigned), so a request that fits the buffer never takes all 32 bits of a word.
   */
  bits(count: number): number {
    if (count > 32) return this.bits(count - 32) * 2 ** 32 + this.bits(32);
    if (count <= this.buffered) {
      const r = (this.buffer & lowMask(count)) >>> 0;
      this.buffer >>>= count;
      this.buffered -= count;
      return r;
    }
    const have = this.buffered;
    const low = this.buffer >>> 0;
    const need = count - have;
    const word = this.source.nextUint32();
    const high = (word & lowMask(need)) >>> 0;
    this.buffer = need === 32 ? 0 : word >>> need;
    this.buffered = 32 - need;
    return low + high * 2 ** have;
  }

  /**
   * An exact uniform integer in [0, m), for a safe integer m ≥ 1: `width` = the bit length of m − 1 (0 for m = 1,
   * then no bit is drawn), and a draw of that many bits is rejected while ≥ m (no modulo bias; at most 2 tries
   * on average).
   */
  uniformInt(m: number): number {
    if (!Number.isSafeInteger(m) || m < 1) {
      throw new DpHyperLoraError('INTERNAL', `uniformInt needs a safe integer m >= 1, got ${m}; this is a bug, please report it.`);
    }
    const high = Math.floor((m - 1) / 2 ** 32);
    const width = high > 0 ? 64 - Math.clz32(high) : 32 - Math.clz32(m - 1);
    for (;;) {
      const x = this.bits(width);
      if (x < m) return x;
    }
  }

  /**
   * Bernoulli(num/den) exactly, for integers 0 ≤ num ≤ den ≤ 2^51. Lazy comparison of a uniform U ∈ [0, 1) with
   * p = num/den one binary digit at a time (the digits of p come from long division, r < den so 2r < 2^52 stays
   * exact): U < p is decided at the first differing digit, after 2 random bits on average.
   */
  bernoulli(num: number, den: number): boolean {
    if (num >= den) return true;
    let r = num;
    while (r !== 0) {
      r *= 2;
      const digit = r >= den ? 1 : 0;
      if (digit === 1) r -= den;
      const bit = this.bit();
      // The first differing digit decides: U < p exactly when p has the 1 there (and U the 0).
      if (bit !== digit) return digit === 1;
    }
    // The remaining digits of p are all 0, so U (almost surely not all 0 from here) is ≥ p.
    return false;
  }
}
