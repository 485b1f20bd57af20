/**
 * The snapping grid's choice at its edges: the dimension range, the σ/g ≤ 2^36 limit of the sampler, the
 * "noise too large" refusal, and the inner clip norm C′ that leaves room for the rounding slack √d·g/2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseGrid, MAX_DIM } from '../../src/dp/grid.js';
import { clipNorm } from '../../src/dp/types.js';

const one = clipNorm(1);

test('the dimension must be an integer in [1, 2^24]', () => {
  assert.equal(chooseGrid(one, 1, 4).exponent, -19);
  assert.equal(chooseGrid(one, MAX_DIM, 4).exponent, -25);
  for (const dim of [0, MAX_DIM + 1, 2.5]) {
    assert.throws(() => chooseGrid(one, dim, 4), { code: 'INVALID_ARGUMENT', message: `dim must be an integer between 1 and ${MAX_DIM}, got ${dim}.` });
  }
});

test('the grid coarsens only once σ/g would pass 2^36 (C = 1, d = 1: g = 2^-19 up to σ = 2^17)', () => {
  assert.equal(chooseGrid(one, 1, 2 ** 17).exponent, -19);
  assert.equal(chooseGrid(one, 1, 2 ** 17 * (1 + 2 ** -52)).exponent, -18);
  assert.equal(chooseGrid(one, 1, 2 ** 20).exponent, -16);
});

test('noise too large for an exact release (C/g < 2√d) is refused; C/g = 2√d is still accepted', () => {
  const edge = chooseGrid(one, 1, 2 ** 35); // g = 1/2, C/g = 2 = 2√1
  assert.equal(edge.clipGrid, 2);
  assert.throws(() => chooseGrid(one, 1, 2 ** 36), {
    code: 'INVALID_ARGUMENT',
    message: 'the noise (sigma/C = 6.87e+10) is too large for an exact release in dimension 1; raise epsilon.',
  });
  assert.throws(() => chooseGrid(clipNorm(4), 4, 2 ** 37), { message: /sigma\/C = 3\.44e\+10\) is too large for an exact release in dimension 4/ });
});

test('C′ stays strictly below C − √d·g/2, by no more than a few ulps', () => {
  for (const [c, dim] of [[1, 4096], [3, 768], [0.5, 7]] as const) {
    const grid = chooseGrid(clipNorm(c), dim, 4 * c);
    const slackFree = c - (Math.sqrt(dim) * grid.step) / 2;
    assert.ok(grid.clipInner < slackFree, `C=${c}, d=${dim}: C′ ${grid.clipInner} vs ${slackFree}`);
    assert.ok(grid.clipInner >= slackFree * (1 - 2 ** -47), `C=${c}, d=${dim}: C′ ${grid.clipInner} too small`);
    assert.equal(grid.step, 2 ** grid.exponent);
    assert.equal(grid.clipGrid, c / grid.step);
  }
});
