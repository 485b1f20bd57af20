import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ceilSquare, exactDyadic, floorLog2, floorSquare } from '../../src/dp/dyadic.js';

test('exactDyadic is exact for normal, subnormal and large doubles', () => {
  for (const x of [5e-324, 1e-310, 2 ** -1022, 0.1, 1, 3, 2 ** 52 + 2, 1e300]) {
    const { mantissa, exponent } = exactDyadic(x);
    assert.ok(mantissa < 2n ** 53n);
    assert.equal(Number(mantissa) * 2 ** exponent, x);
  }
});

test('⌊x²⌋ and ⌈x²⌉ exactly (the double nearest √2 squares to just above 2)', () => {
  assert.equal(floorSquare(1.5), 2n);
  assert.equal(ceilSquare(1.5), 3n);
  assert.equal(floorSquare(2 ** 25), 2n ** 50n);
  assert.equal(ceilSquare(2 ** 25), 2n ** 50n);
  assert.equal(floorSquare(Math.SQRT2), 2n);
  assert.equal(ceilSquare(Math.SQRT2), 3n);
  assert.equal(floorSquare(33554431.75), 1125899890065408n); // 33554431.75² = 134217727²/16 = 1125899890065408.0625
  assert.equal(ceilSquare(33554431.75), 1125899890065409n);
});

test('floorLog2 is exact next to powers of two', () => {
  assert.equal(floorLog2(1), 0);
  assert.equal(floorLog2(2 - 2 ** -52), 0);
  assert.equal(floorLog2(2 ** 40), 40);
  assert.equal(floorLog2(2 ** 40 * (1 - 2 ** -53)), 39);
  assert.equal(floorLog2(0.75), -1);
});

test('exactDyadic next to powers of two, where Math.log2 rounds up to the next integer', () => {
  for (const x of [1 - 2 ** -53, 2 ** 40 * (1 - 2 ** -53), 2 ** -1000 * (1 - 2 ** -53), 2 ** 1000 * (1 - 2 ** -53)]) {
    const { mantissa, exponent } = exactDyadic(x);
    assert.ok(mantissa < 2n ** 53n && mantissa >= 2n ** 52n, `x=${x}: mantissa ${mantissa}`);
    assert.equal(Number(mantissa) * 2 ** exponent, x);
  }
});

test('⌊x²⌋ and ⌈x²⌉ of doubles of 2^52 and above (a non-negative binary exponent)', () => {
  assert.equal(floorSquare(2 ** 60), 2n ** 120n);
  assert.equal(ceilSquare(2 ** 60), 2n ** 120n);
  assert.equal(floorSquare(3 * 2 ** 55), 9n * 2n ** 110n);
  assert.equal(ceilSquare(2 ** 52 + 1), (2n ** 52n + 1n) ** 2n);
});
