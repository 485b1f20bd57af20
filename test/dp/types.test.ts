import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADD_REMOVE, clipNorm, COUNT_SENSITIVITY, delta, epsilon, l2Sensitivity, replaceOne, rho, sigma, sumSensitivity,
} from '../../src/dp/types.js';

const bad = (message: string | RegExp): { name: string; code: string; message: string | RegExp } =>
  ({ name: 'DpHyperLoraError', code: 'INVALID_ARGUMENT', message });

test('ε: negative, NaN and Infinity are refused with what to pass instead', () => {
  assert.throws(() => epsilon(-1), bad('epsilon must be a finite number >= 0, got -1; pass a privacy loss such as 1 (smaller is more private).'));
  assert.throws(() => epsilon(Number.NaN), bad(/got NaN/));
  assert.throws(() => epsilon(Number.POSITIVE_INFINITY), bad(/got Infinity/));
  assert.equal(epsilon(0), 0);
});

test('δ: 0 (impossible for a Gaussian), ≥ 1, negative and NaN are refused', () => {
  assert.throws(() => delta(0), bad('delta = 0 cannot be met by any Gaussian mechanism (it would need infinite noise); pass a small probability such as 1e-5 (well below 1/n).'));
  assert.throws(() => delta(1), bad('delta must be strictly between 0 and 1, got 1; pass a small probability such as 1e-5 (well below 1/n).'));
  assert.throws(() => delta(2), bad(/got 2;/));
  assert.throws(() => delta(-1e-5), bad(/got -0.00001;/));
  assert.throws(() => delta(Number.NaN), bad(/got NaN;/));
  assert.equal(delta(1e-5), 1e-5);
});

test('ρ, σ, Δ, C validate their ranges', () => {
  assert.throws(() => rho(-0.1), bad('rho (zCDP) must be a finite number >= 0, got -0.1.'));
  assert.throws(() => sigma(0), bad('sigma (noise standard deviation) must be a finite number > 0, got 0.'));
  assert.throws(() => l2Sensitivity(Number.NaN), bad(/sensitivity must be a finite number > 0, got NaN/));
  assert.throws(() => clipNorm(0), bad(/clip norm C must be a finite number > 0/));
  assert.throws(() => clipNorm(Number.POSITIVE_INFINITY), bad(/got Infinity/));
});

test('relations: replace-one needs a declared integer n; sensitivities are derived (C, 2C, count 1)', () => {
  assert.throws(() => replaceOne(0), bad('replace-one needs the declared public dataset size n as an integer >= 1, got 0.'));
  assert.throws(() => replaceOne(2.5), bad(/got 2.5/));
  const c = clipNorm(1.5);
  assert.equal(sumSensitivity(c, ADD_REMOVE), 1.5);
  assert.equal(sumSensitivity(c, replaceOne(10)), 3);
  assert.equal(COUNT_SENSITIVITY, 1);
});

test('every constructor accepts its boundary values and refuses the first value past them', () => {
  assert.equal(rho(0), 0);
  assert.equal(rho(2.5), 2.5);
  assert.throws(() => rho(Number.NaN), bad(/got NaN\.$/));
  assert.throws(() => rho(Number.POSITIVE_INFINITY), bad(/got Infinity\.$/));
  assert.equal(sigma(Number.MIN_VALUE), Number.MIN_VALUE);
  assert.throws(() => sigma(-1), bad(/got -1\.$/));
  assert.throws(() => sigma(Number.NaN), bad(/got NaN\.$/));
  assert.throws(() => sigma(Number.POSITIVE_INFINITY), bad(/got Infinity\.$/));
  assert.equal(l2Sensitivity(Number.MIN_VALUE), Number.MIN_VALUE);
  assert.throws(() => l2Sensitivity(0), bad('sensitivity must be a finite number > 0, got 0; it is the largest L2 change one record can cause.'));
  assert.throws(() => l2Sensitivity(Number.NEGATIVE_INFINITY), bad(/got -Infinity;/));
  assert.equal(clipNorm(2 ** -500), 2 ** -500);
  assert.equal(clipNorm(2 ** 500), 2 ** 500);
  assert.throws(() => clipNorm(2 ** -501), bad(`clip norm C must be a finite number > 0 (between 2^-500 and 2^500), got ${2 ** -501}; use the pack's default C.`));
  assert.throws(() => clipNorm(2 ** 501), bad(/got 6\.5\d+e\+150;/));
  assert.throws(() => clipNorm(Number.NaN), bad(/got NaN;/));
  assert.equal(epsilon(Number.MAX_VALUE), Number.MAX_VALUE);
  assert.throws(() => epsilon(-Number.MIN_VALUE), bad(/got -5e-324;/));
  assert.equal(delta(1 - 2 ** -53), 1 - 2 ** -53);
  assert.equal(delta(Number.MIN_VALUE), Number.MIN_VALUE);
  assert.deepEqual(replaceOne(1), { kind: 'replace-one', n: 1 });
  assert.ok(Object.isFrozen(replaceOne(3)) && Object.isFrozen(ADD_REMOVE));
  assert.deepEqual(ADD_REMOVE, { kind: 'add-remove' });
  assert.throws(() => replaceOne(Number.NaN), bad(/got NaN\.$/));
  assert.throws(() => replaceOne(2 ** 53), bad(/got 9007199254740992\.$/));
});
