import { join } from 'node:path';
import { test } from 'node:test';
import { cliInvocation } from '../../src/cli-invocation.js';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addRoundingUp, budgetExhausted, maxOf, releasesThatFit } from '../../src/dp/ledger-budget.js';
import type { Delta, Epsilon, Rho } from '../../src/dp/types.js';

/** Exact comparison of a double with the exact sum of two doubles, through BigInt fixed point (2^-1100 units). */
function exactAtLeast(result: number, a: number, b: number): boolean {
  const fixed = (x: number): bigint => {
    // x = m · 2^e exactly with integer m; scale to units of 2^-1100 (below every double's ulp).
    if (x === 0) return 0n;
    let e = 0;
    let m = x;
    while (!Number.isInteger(m)) { m *= 2; e -= 1; }
    return BigInt(m) << BigInt(1100 + e);
  };
  return fixed(result) >= fixed(a) + fixed(b);
}

test('addRoundingUp never rounds below the exact sum, and is exact when the sum is', () => {
  assert.equal(addRoundingUp(0.5, 0.25), 0.75);
  assert.equal(addRoundingUp(0, 0.1), 0.1);
  assert.equal(1 + 2 ** -54, 1, 'plain addition rounds this sum down');
  assert.equal(addRoundingUp(1, 2 ** -54), 1 + 2 ** -52);
  assert.equal(addRoundingUp(0.1, 0.2), 0.1 + 0.2, '0.1 + 0.2 already rounds up');
  fc.assert(fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), (a, b) => {
    const r = addRoundingUp(a, b);
    return exactAtLeast(r, a, b) && r <= a + b + 2 * Number.EPSILON * (a + b) + Number.MIN_VALUE;
  }), { numRuns: 2000 });
});

const CLI = cliInvocation();

test('maxOf handles sets too large to spread into Math.max', () => {
  const big = Array.from({ length: 300_000 }, (_, i) => i % 1000);
  big[123_456] = 5000;
  assert.equal(maxOf(big), 5000);
});

test('the suggested command runs the CLI through node, so it works where no dp-hyperlora is on PATH (a ComfyUI install)', () => {
  assert.equal(CLI, `node "${join(import.meta.dirname, '..', '..', 'bin', 'dp-hyperlora.js')}"`);
});

test('the suggested budget is the required ε rounded UP to three digits', () => {
  const make = (required: number): string => String(budgetExhausted({
    path: '/l.sqlite', budget: { epsilon: 10 as Epsilon, delta: 1e-5 as Delta }, releaseRho: 1 as Rho, releaseEpsilon: 7 as Epsilon,
    remaining: { epsilon: 1 as Epsilon, rho: 0.1 as Rho }, requiredEpsilon: required as Epsilon,
  }).details?.raiseCommand);
  assert.equal(make(12.345), `${CLI} ledger budget --epsilon 12.4 --delta 0.00001 --ledger "/l.sqlite"`);
  assert.equal(make(10.0000001), `${CLI} ledger budget --epsilon 10.1 --delta 0.00001 --ledger "/l.sqlite"`);
  assert.equal(make(123.4), `${CLI} ledger budget --epsilon 124 --delta 0.00001 --ledger "/l.sqlite"`);
  assert.equal(make(12.3), `${CLI} ledger budget --epsilon 12.3 --delta 0.00001 --ledger "/l.sqlite"`);
  assert.equal(make(1234.5), `${CLI} ledger budget --epsilon 1240 --delta 0.00001 --ledger "/l.sqlite"`);
  assert.equal(make(0.012345), `${CLI} ledger budget --epsilon 10 --delta 0.00001 --ledger "/l.sqlite"`, 'never below the current budget');
  assert.equal(make(0), `${CLI} ledger budget --epsilon 10 --delta 0.00001 --ledger "/l.sqlite"`);
});

test('releasesThatFit counts the releases whose running ρ (rounded up) stays within the budget ε', () => {
  const budget = { epsilon: 1 as Epsilon, delta: 1e-5 as Delta };
  const asEpsilon = (r: Rho): number => r; // ε = ρ, so the count is easy to check by hand
  assert.equal(releasesThatFit(0.25 as Rho, budget, asEpsilon), 4, 'ρ = 1.0 exactly still fits');
  assert.equal(releasesThatFit(0.25 as Rho, budget, asEpsilon, 0.5), 2);
  assert.equal(releasesThatFit(0.3 as Rho, budget, asEpsilon), 3);
  assert.equal(releasesThatFit(2 as Rho, budget, asEpsilon), 0);
  assert.equal(releasesThatFit(1e-6 as Rho, budget, asEpsilon, 0, 10), 10, 'stops at the cap');
  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => releasesThatFit(bad as Rho, budget, asEpsilon), {
      code: 'INVALID_ARGUMENT', message: `rhoPerRelease must be a finite number > 0, got ${bad}; pass the release plan's rhoTotal.`,
    });
  }
});
