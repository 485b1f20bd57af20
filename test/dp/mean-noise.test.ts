/**
 * src/dp/mean-noise.ts: σ_sum/(n·C) in units of the clip norm C, and the least n that brings it under a bound.
 * The pack manifests' trainedNoise ranges are in these units, so a C other than 1 must divide, not multiply.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADD_REMOVE, clipNorm, delta, epsilon, planRelease } from '../../src/dp/index.js';
import { meanNoiseStdOverC, smallestNFor } from '../../src/dp/mean-noise.js';

const plan = (c: number, eps = 1) => planRelease({ epsilon: epsilon(eps), delta: delta(1e-5), clipNorm: clipNorm(c), relation: ADD_REMOVE, dim: 64 });

test('σ_sum/(n·C) divides by C (σ_sum already grows with C, so the level is the same for every C), n floored at 1', () => {
  const one = plan(1);
  for (const c of [0.25, 2, 7.5]) {
    const p = plan(c);
    assert.ok(Math.abs(p.sigmaSum / one.sigmaSum - c) < 1e-6 * c, `σ_sum scales with C = ${c}`);
    assert.equal(meanNoiseStdOverC(p, 10), p.sigmaSum / (10 * c));
    assert.ok(Math.abs(meanNoiseStdOverC(p, 10) - meanNoiseStdOverC(one, 10)) < 1e-9, `C = ${c}: same level as C = 1`);
  }
  const p = plan(2);
  assert.equal(meanNoiseStdOverC(p, 0.3), p.sigmaSum / 2, 'a noisy count below 1 counts as 1, as the release divides');
  assert.equal(meanNoiseStdOverC(p, -40), p.sigmaSum / 2);
});

test('smallestNFor is the least n with σ_sum/(n·C) ≤ maxNoise, also when the bound is met exactly', () => {
  for (const c of [0.5, 1, 3]) {
    for (const eps of [0.25, 1, 4]) {
      const p = plan(c, eps);
      for (const n of [1, 2, 7, 128, 4000]) {
        const exact = meanNoiseStdOverC(p, n); // the level at n itself: n must qualify, n - 1 must not
        assert.equal(smallestNFor(p, exact), n, `C = ${c}, ε = ${eps}, bound met exactly at n = ${n}`);
        for (const bound of [exact * 1.0001, exact * 0.9999]) {
          const got = smallestNFor(p, bound);
          assert.ok(meanNoiseStdOverC(p, got) <= bound, `C = ${c}, ε = ${eps}: n = ${got} meets ${bound}`);
          assert.ok(got === 1 || meanNoiseStdOverC(p, got - 1) > bound, `C = ${c}, ε = ${eps}: n = ${got - 1} would already meet ${bound}`);
        }
      }
    }
  }
});

test('smallestNFor returns (does not loop) for a bound no set could meet', () => {
  const p = plan(1);
  assert.equal(smallestNFor(p, 1e-320), Number.POSITIVE_INFINITY);
  assert.ok(smallestNFor(p, 1e-300) > Number.MAX_SAFE_INTEGER);
});

test('smallestNFor refuses a bound that is not a finite number > 0, by code and message', () => {
  const p = plan(1);
  for (const bad of [0, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    assert.throws(() => smallestNFor(p, bad), {
      code: 'INVALID_ARGUMENT', message: `maxNoise must be a finite number > 0, got ${bad}; use the pack's dp.trainedNoise.max.`,
    }, `maxNoise = ${bad}`);
  }
});

test('smallestNFor at the neighbouring doubles of an exact level, and at n near 10^12, is still the least n', () => {
  const f = new Float64Array(1);
  const u = new BigUint64Array(f.buffer);
  /** The double `steps` units in the last place away from x > 0. */
  const ulps = (x: number, steps: number): number => { f[0] = x; u[0] = (u[0] as bigint) + BigInt(steps); return f[0] as number; };
  let steppedUp = 0;
  for (const c of [0.5, 1, 3]) {
    for (const eps of [0.25, 1, 4]) {
      const p = plan(c, eps);
      for (const n of [1, 2, 3, 7, 10, 128, 999, 4000, 65_537, 1e12 + 7]) {
        const exact = meanNoiseStdOverC(p, n);
        for (const bound of [ulps(exact, -2), ulps(exact, -1), exact, ulps(exact, 1), ulps(exact, 2)]) {
          const got = smallestNFor(p, bound);
          assert.ok(meanNoiseStdOverC(p, got) <= bound, `C = ${c}, ε = ${eps}: n = ${got} meets ${bound}`);
          assert.ok(got === 1 || meanNoiseStdOverC(p, got - 1) > bound, `C = ${c}, ε = ${eps}: n = ${got - 1} would already meet ${bound}`);
          if (Math.ceil(p.sigmaSum / (c * bound)) < got) steppedUp++;
        }
      }
    }
  }
  assert.ok(steppedUp > 0, 'some bound must need the upward step (the float ceiling one below the least n)');
});
