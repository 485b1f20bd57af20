/** The bracketing bisection and the doubling search every calibration uses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bisect, growUntil } from '../../src/dp/bisect.js';

test('bisect returns a bracket around the switch point, pred false at lo and true at hi', () => {
  const br = bisect((x) => x >= Math.PI, 0, 4, 1e-15);
  assert.ok(br.lo < Math.PI && br.hi >= Math.PI && br.hi - br.lo <= 1e-15 * 4, `${br.lo} ${br.hi}`);
  // relTol 0: it stops when no double lies strictly between the ends.
  const tight = bisect((x) => x >= 1, 0.5, 3, 0);
  assert.deepEqual(tight, { lo: 1 - 2 ** -53, hi: 1 });
});

test('growUntil doubles until the predicate holds, and gives up (at Infinity) when it never does', () => {
  assert.equal(growUntil((x) => x >= 1000, 1), 1024);
  assert.equal(growUntil(() => true, 3), 3);
  assert.equal(growUntil(() => false, 1), Number.POSITIVE_INFINITY);
});
