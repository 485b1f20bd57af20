/**
 * RandomBits bit by bit: which bits of which word every draw takes, and how many. The source here replays a bit
 * stream written out in the order the draws consume it and throws when it runs out, so a draw that takes one bit
 * too many or too few, takes them in another order, or accepts a value it must reject, fails by value (never by
 * chance, never by hanging). The statistical tests of the same draws are in csprng.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomBits, type RandomSource } from '../../src/dp/csprng.js';

/** A source that hands out exactly these bits (consumption order, 32 per word), then throws. */
class BitStream implements RandomSource {
  private readonly bitList: number[] = [];
  words = 0;

  /** Appends `width` bits of `value`, low bit first: what bits(width) ≤ 32 returns for them. */
  push(value: number, width: number): this {
    for (let i = 0; i < width; i++) this.bitList.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  /** Appends the bits of a string as written, e.g. '0110' (the order single bit() draws see them). */
  pushBits(text: string): this {
    for (const c of text) this.bitList.push(c === '1' ? 1 : 0);
    return this;
  }

  nextUint32(): number {
    const start = this.words * 32;
    if (start >= this.bitList.length) throw new Error(`the bit stream ran out after ${this.words} words`);
    let word = 0;
    for (let i = 0; i < 32; i++) word += (this.bitList[start + i] ?? 0) * 2 ** i;
    this.words++;
    return word;
  }
}

/** The stream with a 32-bit marker after `bitsBefore` bits: reading it back proves exactly that many were taken. */
const MARK = 0x9e3779b9;

test('bit() takes the low bit of a word first and draws the next word only after all 32', () => {
  const s = new BitStream().push(0x80000001, 32).push(0x2, 32);
  const r = new RandomBits(s);
  const got: number[] = [];
  for (let i = 0; i < 32; i++) got.push(r.bit());
  assert.deepEqual(got, [1, ...new Array<number>(30).fill(0), 1]);
  assert.equal(s.words, 1, 'one word for 32 bits');
  assert.equal(r.bit(), 0);
  assert.equal(r.bit(), 1);
  assert.equal(s.words, 2);
});

test('bits(32) on an empty buffer is one whole word and leaves nothing behind; bits() and bit() share the buffer', () => {
  const s = new BitStream().push(0xdeadbeef, 32).push(0x12345678, 32).push(MARK, 32);
  const r = new RandomBits(s);
  assert.equal(r.bits(32), 0xdeadbeef);
  assert.equal(r.bits(4), 0x8, 'the next bits come from the next word, not from what is left of the first');
  assert.equal(r.bit(), 1); // 0x12345678 >> 4 = 0x1234567: low bit 1
  assert.equal(r.bits(27), 0x1234567 >>> 1);
  assert.equal(s.words, 2, 'exactly 32 of the second word: 4 + 1 + 27');
  assert.equal(r.bits(32), MARK);
});

test('bits() over 32 draws the high part first, then 32 low bits', () => {
  const s = new BitStream().push(0x5, 3).push(0x89abcdef, 32).push(MARK, 32);
  const r = new RandomBits(s);
  assert.equal(r.bits(35), 0x5 * 2 ** 32 + 0x89abcdef);
  assert.equal(r.bits(32), MARK);
});

test('uniformInt(1) draws no bit; uniformInt(m) draws bitLength(m − 1) bits per try and rejects x ≥ m', () => {
  const cases: { m: number; tries: number[]; want: number; width: number }[] = [
    { m: 1, tries: [], want: 0, width: 0 },
    { m: 2, tries: [1], want: 1, width: 1 },
    { m: 6, tries: [7, 6, 5], want: 5, width: 3 },
    { m: 7, tries: [7, 6], want: 6, width: 3 },
    { m: 8, tries: [7], want: 7, width: 3 },
    { m: 9, tries: [15, 9, 8], want: 8, width: 4 },
    { m: 1000, tries: [1023, 1000, 999], want: 999, width: 10 },
    { m: 2 ** 31 + 1, tries: [2 ** 32 - 1, 2 ** 31 + 1, 2 ** 31], want: 2 ** 31, width: 32 },
    { m: 2 ** 32, tries: [2 ** 32 - 1], want: 2 ** 32 - 1, width: 32 },
  ];
  for (const { m, tries, want, width } of cases) {
    const s = new BitStream();
    for (const x of tries) s.push(x, width);
    s.push(MARK, 32);
    const r = new RandomBits(s);
    assert.equal(r.uniformInt(m), want, `uniformInt(${m})`);
    assert.equal(r.bits(32), MARK, `uniformInt(${m}) took exactly ${tries.length} × ${width} bits`);
  }
});

test('uniformInt above 2^32: the high bits first, x = m rejected, up to m = 2^53 − 1', () => {
  const cases: { m: number; tries: [number, number][]; highWidth: number }[] = [
    // [high part, low 32 bits] per try; the last try is accepted.
    { m: 2 ** 32 + 1, tries: [[1, 1], [1, 0]], highWidth: 1 },
    { m: 2 ** 32 + 3, tries: [[1, 3], [1, 4], [1, 2]], highWidth: 1 },
    { m: 2 ** 33, tries: [[1, 2 ** 32 - 1]], highWidth: 1 },
    { m: 2 ** 33 + 1, tries: [[2, 1], [2, 0]], highWidth: 2 },
    { m: 2 ** 53 - 1, tries: [[2 ** 21 - 1, 2 ** 32 - 1], [2 ** 21 - 1, 2 ** 32 - 2]], highWidth: 21 },
  ];
  for (const { m, tries, highWidth } of cases) {
    const s = new BitStream();
    for (const [high, low] of tries) s.push(high, highWidth).push(low, 32);
    s.push(MARK, 32);
    const r = new RandomBits(s);
    const [high, low] = tries[tries.length - 1] as [number, number];
    assert.equal(r.uniformInt(m), high * 2 ** 32 + low, `uniformInt(${m})`);
    assert.equal(r.bits(32), MARK, `uniformInt(${m}) took exactly ${tries.length} × ${highWidth + 32} bits`);
  }
});

test('uniformInt refuses a range that is not a safe integer ≥ 1, by code and message', () => {
  const r = new RandomBits(new BitStream());
  for (const m of [0, -3, 0.5, 2.5, 2 ** 32 + 0.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => r.uniformInt(m), (e: unknown) => {
      const err = e as { code?: string; message?: string };
      assert.equal(err.code, 'INTERNAL');
      assert.match(err.message ?? '', /^uniformInt needs a safe integer m >= 1, got .+; this is a bug, please report it\.$/);
      assert.ok((err.message ?? '').includes(`got ${m};`), err.message);
      return true;
    }, `uniformInt(${m})`);
  }
});

test('bernoulli compares U with p digit by digit: the value and the exact number of bits it takes', () => {
  const cases: { num: number; den: number; stream: string; want: boolean }[] = [
    { num: 0, den: 5, stream: '', want: false },
    { num: 5, den: 5, stream: '', want: true },
    { num: 1, den: 2, stream: '0', want: true },
    { num: 1, den: 2, stream: '1', want: false },
    { num: 1, den: 4, stream: '1', want: false },
    { num: 1, den: 4, stream: '00', want: true },
    { num: 1, den: 4, stream: '01', want: false }, // U's digits equal p's (0.01), the rest of p is 0: U ≥ p
    { num: 3, den: 4, stream: '10', want: true },
    { num: 3, den: 4, stream: '11', want: false },
    { num: 1, den: 3, stream: '011', want: false }, // p = 0.0101…
    { num: 1, den: 3, stream: '0100', want: true },
    { num: 2, den: 7, stream: '0101', want: false }, // p = 0.01001001…
    { num: 2, den: 7, stream: '01000', want: true },
    { num: 1, den: 2 ** 40, stream: '0'.repeat(40), want: true },
    { num: 1, den: 2 ** 40, stream: `${'0'.repeat(39)}1`, want: false },
    { num: 1, den: 2 ** 40, stream: '0'.repeat(38) + '1', want: false },
  ];
  for (const { num, den, stream, want } of cases) {
    const s = new BitStream().pushBits(stream).push(MARK, 32);
    const r = new RandomBits(s);
    assert.equal(r.bernoulli(num, den), want, `bernoulli(${num}/${den}) on ${stream}`);
    assert.equal(r.bits(32), MARK, `bernoulli(${num}/${den}) on ${stream} took exactly ${stream.length} bits`);
  }
});
