/**
 * Clipping and the exact grid-snapped sum: the L2 bound every snapped vector must meet (‖x‖ ≤ C/g, checked in
 * exact integer arithmetic), the exactness of the sum, streaming in batches, and the input checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClippedSum, clipToNorm } from '../../src/dp/clip.js';
import { chooseGrid } from '../../src/dp/grid.js';
import { clipNorm } from '../../src/dp/types.js';

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) ** 2;
  return Math.sqrt(s);
}

/** Exact squared norm of an integer vector (BigInt): the test does not trust floats either. */
function exactNormSq(v: ArrayLike<number>): bigint {
  let s = 0n;
  for (let i = 0; i < v.length; i++) s += BigInt(v[i] as number) ** 2n;
  return s;
}

const vecArb = (dim: number) => fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: dim, maxLength: dim });

test('property: clipping never increases the norm and never exceeds C', () => {
  fc.assert(fc.property(vecArb(8), fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (v, c) => {
    const out = clipToNorm(v, clipNorm(c));
    return norm(out) <= Math.max(norm(v), 0) + 1e-300 && norm(out) <= c;
  }), { numRuns: 300 });
  assert.deepEqual([...clipToNorm([3, 4], clipNorm(10))], [3, 4]);
  assert.ok(Math.abs(norm(clipToNorm([3, 4], clipNorm(1))) - 1) < 1e-15);
});

test('property: every clipped, snapped integer vector has norm ≤ C/g exactly (one vector per sum)', () => {
  fc.assert(fc.property(vecArb(5), fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (v, c) => {
    const clip = clipNorm(c);
    const grid = chooseGrid(clip, 5, 4 * c);
    const sum = new ClippedSum(clip, 5, grid);
    sum.addVector(Float64Array.from(v));
    const snapped = sum.integerSum();
    return exactNormSq(snapped) <= BigInt(grid.normSqBound) && grid.normSqBound <= grid.clipGrid ** 2;
  }), { numRuns: 300 });
});

test('adversarial vectors right at the bound (many equal coordinates that all round up) still meet it', () => {
  const dim = 4096;
  const clip = clipNorm(1);
  const grid = chooseGrid(clip, dim, 4);
  for (const value of [1 / 64, grid.step * 0.5000001, 1e300, -1e-300]) {
    const sum = new ClippedSum(clip, dim, grid);
    sum.addVector(new Float64Array(dim).fill(value));
    assert.ok(exactNormSq(sum.integerSum()) <= BigInt(grid.normSqBound), `value ${value}`);
  }
  assert.equal(grid.normSqBound, 2 ** 50); // C/g = 2^25 for d = 4096
  assert.ok(1 - grid.clipInner <= 2 ** -20 * (1 + 1e-9), 'slack ≤ 2^-20·C at d = 4096');
});

test('batches stream into an exact integer sum with O(d) state (10,000 vectors, d = 64)', () => {
  const dim = 64;
  const clip = clipNorm(2);
  const grid = chooseGrid(clip, dim, 8);
  const streamed = new ClippedSum(clip, dim, grid);
  const oneByOne = new ClippedSum(clip, dim, grid);
  let seed = 12345;
  const next = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 - 0.5; };
  for (let b = 0; b < 100; b++) {
    const batch = new Float32Array(100 * dim);
    for (let i = 0; i < batch.length; i++) batch[i] = next() * (b % 3 === 0 ? 10 : 0.1);
    streamed.addBatch(batch);
    for (let r = 0; r < 100; r++) oneByOne.addVector(batch.subarray(r * dim, (r + 1) * dim));
  }
  assert.equal(streamed.count, 10_000);
  assert.deepEqual(streamed.integerSum(), oneByOne.integerSum());
  for (const x of streamed.integerSum()) assert.ok(Number.isSafeInteger(x));
});

test('NaN and Infinity are refused with INVALID_INPUT_DATA, and the message holds no values', () => {
  const clip = clipNorm(1);
  const sum = new ClippedSum(clip, 3, chooseGrid(clip, 3, 4));
  const batch = Float64Array.from([0.123456, 0.5, 0.25, 0.75, Number.NaN, 0.1]);
  assert.throws(() => sum.addBatch(batch), {
    code: 'INVALID_INPUT_DATA',
    message: "vector 1 of this batch contains NaN or Infinity; embeddings must be finite numbers (check the encoder's output).",
  });
  assert.equal(sum.count, 0, 'a bad batch adds nothing');
  assert.throws(() => clipToNorm([1, Number.POSITIVE_INFINITY], clip), { code: 'INVALID_INPUT_DATA' });
  assert.throws(() => sum.addBatch(new Float64Array(4)), { code: 'INVALID_INPUT_DATA', message: /not a multiple of the dimension 3/ });
});

test('a grid made for another C is refused', () => {
  assert.throws(() => new ClippedSum(clipNorm(1), 3, chooseGrid(clipNorm(2), 3, 4)), { code: 'INVALID_ARGUMENT', message: /different clip norm/ });
});

test('a vector inside C′ is summed exactly on the grid; one outside is first scaled to C′ (its direction kept)', () => {
  const clip = clipNorm(1);
  const grid = chooseGrid(clip, 2, 4);
  const sum = new ClippedSum(clip, 2, grid);
  sum.addVector(Float64Array.of(0.3, -0.4));
  assert.deepEqual([...sum.integerSum()], [Math.round(0.3 / grid.step), Math.round(-0.4 / grid.step)]);
  const outside = new ClippedSum(clip, 2, grid);
  outside.addBatch(Float64Array.of(3, 4, 30, -40));
  const [x, y] = outside.integerSum() as unknown as [number, number];
  const inner = grid.clipInner / grid.step;
  // Both rows land on C′·(0.6, ±0.8): the coordinates of their sum within one grid step per row.
  assert.ok(Math.abs(x - 2 * 0.6 * inner) <= 2 && Math.abs(y) <= 2, `sum ${x}, ${y}`);
  assert.equal(outside.count, 2);
});

test('norms that overflow or underflow a plain sum of squares are rescaled, not lost', () => {
  const clip = clipNorm(2);
  const huge = clipToNorm([3e200, 4e200], clip);
  assert.ok(Math.abs(huge[0]! - 1.2) < 1e-12 && Math.abs(huge[1]! - 1.6) < 1e-12, `${huge[0]}, ${huge[1]}`);
  // One entry far larger than the other: the rescale must divide by the LARGEST entry.
  for (const v of [[1e300, 1, -1e299], [1e300, -1e299, 1]]) {
    const lopsided = clipToNorm(v, clip);
    assert.ok(Math.abs(norm(lopsided) - 2) < 1e-12 && lopsided[0]! > 1.98, `${[...lopsided]}`);
  }
  const tiny = clipToNorm([3e-300, 4e-300], clip);
  assert.deepEqual([...tiny], [3e-300, 4e-300]);
  assert.deepEqual([...clipToNorm([0, 0], clip)], [0, 0]);
  // The same through the release accumulator, one overflowing row after an ordinary one.
  const grid = chooseGrid(clip, 2, 8);
  const sum = new ClippedSum(clip, 2, grid);
  sum.addBatch(Float64Array.of(0.5, 0, 3e200, 4e200));
  const inner = grid.clipInner / grid.step;
  const [x, y] = sum.integerSum() as unknown as [number, number];
  assert.ok(Math.abs(x - (Math.round(0.5 / grid.step) + 0.6 * inner)) <= 1 && Math.abs(y - 0.8 * inner) <= 1, `sum ${x}, ${y}`);
});

test('a ClippedSum needs an integer dimension ≥ 1 and refuses batches past MAX_VECTORS', () => {
  const clip = clipNorm(1);
  const grid = chooseGrid(clip, 1, 4);
  for (const dim of [0, 1.5, -1]) {
    assert.throws(() => new ClippedSum(clip, dim, grid), { code: 'INVALID_ARGUMENT', message: `dim must be an integer >= 1, got ${dim}.` });
  }
  const sum = new ClippedSum(clip, 1, grid);
  sum.addVector(Float64Array.of(0.5));
  assert.throws(() => sum.addBatch(new Float32Array(2 ** 25)), { code: 'INVALID_INPUT_DATA', message: `at most ${2 ** 25} vectors can be summed in one release.` });
  assert.equal(sum.count, 1);
});
