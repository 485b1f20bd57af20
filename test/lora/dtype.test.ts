import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bf16BitsToFloat32, decodeFloats, encodeFloats, f16BitsToFloat32, float32ToBf16Bits, float32ToF16Bits,
} from '../../src/lora/dtype.js';
import { isDpError } from '../../src/errors.js';

// Reference bit patterns from IEEE 754 binary16 (checked against numpy.float16(x).view(np.uint16)).
const F16_CASES: Array<[number, number]> = [
  [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff],
  [2 ** -14, 0x0400], // smallest normal
  [2 ** -24, 0x0001], // smallest subnormal
  [Infinity, 0x7c00], [-Infinity, 0xfc00],
  [1 + 2 ** -10, 0x3c01],
  [0.1, 0x2e66], [1 / 3, 0x3555],
];

test('F16: exact values encode to their IEEE bit patterns and decode back', () => {
  for (const [v, bits] of F16_CASES) {
    assert.equal(float32ToF16Bits(v), bits, `encode ${v}`);
  }
  for (const [v, bits] of F16_CASES.filter(([x]) => x !== 0.1 && x !== 1 / 3)) {
    assert.ok(Object.is(f16BitsToFloat32(bits), v), `decode 0x${bits.toString(16)}`);
  }
});

test('F16: rounding is to nearest, ties to even; overflow gives Inf; underflow gives 0', () => {
  assert.equal(float32ToF16Bits(1 + 2 ** -11), 0x3c00, 'tie between 1 and 1+2^-10 goes to even (1)');
  assert.equal(float32ToF16Bits(1 + 3 * 2 ** -11), 0x3c02, 'tie between 0x3c01 and 0x3c02 goes to even');
  assert.equal(float32ToF16Bits(65520), 0x7c00, '65520 rounds up past the largest finite half');
  assert.equal(float32ToF16Bits(65519), 0x7bff);
  assert.equal(float32ToF16Bits(2 ** -25), 0x0000, 'exactly half the smallest subnormal ties to 0');
  assert.equal(float32ToF16Bits(2 ** -25 * 1.5), 0x0001);
  assert.equal(float32ToF16Bits(2 ** -14 - 2 ** -25), 0x0400, 'the largest subnormal + half an ulp rounds to the smallest normal');
  const nan = float32ToF16Bits(NaN);
  assert.equal(nan & 0x7c00, 0x7c00);
  assert.notEqual(nan & 0x3ff, 0);
  assert.ok(Number.isNaN(f16BitsToFloat32(nan)));
});

test('F16: all 63488 finite half values survive decode → encode', () => {
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00) continue;
    assert.equal(float32ToF16Bits(f16BitsToFloat32(h)), h);
  }
});

test('BF16: truncation with round-to-nearest-even, NaN kept', () => {
  assert.equal(float32ToBf16Bits(1), 0x3f80);
  assert.equal(float32ToBf16Bits(-2), 0xc000);
  assert.equal(float32ToBf16Bits(1 + 2 ** -8), 0x3f80, 'tie goes to even');
  assert.equal(float32ToBf16Bits(1 + 3 * 2 ** -8), 0x3f82, 'tie goes to even (up)');
  assert.equal(float32ToBf16Bits(1 + 2 ** -8 + 2 ** -20), 0x3f81, 'above the tie rounds up');
  assert.equal(float32ToBf16Bits(Infinity), 0x7f80);
  assert.equal(float32ToBf16Bits(3.4028234663852886e38), 0x7f80, 'float32 max rounds to Inf');
  assert.ok(Number.isNaN(bf16BitsToFloat32(float32ToBf16Bits(NaN))));
  assert.equal(bf16BitsToFloat32(0x3f80), 1);
  assert.equal(bf16BitsToFloat32(0xc049), -3.140625);
});

test('encodeFloats/decodeFloats: little-endian round trip per dtype', () => {
  const values = Float32Array.of(1, -2, 0.5, 0);
  assert.deepEqual([...encodeFloats(values, 'F32').subarray(0, 4)], [0x00, 0x00, 0x80, 0x3f]);
  assert.deepEqual([...encodeFloats(values, 'F16').subarray(0, 4)], [0x00, 0x3c, 0x00, 0xc0]);
  assert.deepEqual([...encodeFloats(values, 'BF16').subarray(0, 4)], [0x80, 0x3f, 0x00, 0xc0]);
  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    assert.deepEqual([...decodeFloats(encodeFloats(values, dtype), dtype)], [1, -2, 0.5, 0]);
  }
});

test('F16: every value at or beyond 2^16 is ±Inf, everything below 2^-25 is ±0', () => {
  for (const v of [65536, 98304, 1e6, 3e38]) {
    assert.equal(float32ToF16Bits(v), 0x7c00, `${v}`);
    assert.equal(float32ToF16Bits(-v), 0xfc00, `${-v}`);
  }
  for (const v of [2 ** -26, 1e-10, 1e-30, 1e-45]) {
    assert.equal(float32ToF16Bits(v), 0x0000, `${v}`);
    assert.equal(float32ToF16Bits(-v), 0x8000, `${-v}`);
  }
});

test('BF16: a NaN whose payload would carry into the sign on rounding stays NaN', () => {
  const nan = new Float32Array(new Uint32Array([0x7fffffff]).buffer)[0]!;
  const bits = float32ToBf16Bits(nan);
  assert.ok(Number.isNaN(bf16BitsToFloat32(bits)), `0x${bits.toString(16)} is not a NaN`);
});

test('decodeFloats refuses a byte count that is not a whole number of elements', () => {
  assert.throws(() => decodeFloats(new Uint8Array(3), 'F16'), (e: unknown) => isDpError(e, 'INTERNAL')
    && e.message === 'decodeFloats: 3 bytes is not a whole number of F16');
  assert.throws(() => decodeFloats(new Uint8Array(6), 'F32'), (e: unknown) => isDpError(e, 'INTERNAL')
    && e.message === 'decodeFloats: 6 bytes is not a whole number of F32');
});
