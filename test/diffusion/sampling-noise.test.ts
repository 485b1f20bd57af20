import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededNormal } from '../../src/diffusion/sampling-noise.js';

test('same seed → same stream, whatever the chunking of reads; different seeds differ', () => {
  const a = new SeededNormal(42).fill(40_000);
  const b = new SeededNormal(42);
  const parts = [b.fill(3), b.fill(17_000), b.fill(22_997)];
  assert.deepEqual([...parts.flatMap((p) => [...p])], [...a]);
  const c = new SeededNormal(43).fill(8);
  assert.notDeepEqual([...c], [...a.subarray(0, 8)]);
  assert.notDeepEqual([...new SeededNormal('42').fill(8)], [...a.subarray(0, 8)], 'string and number seeds are distinct');
});

test('the values are standard normal (moments; false-positive rate < 1e-6 per check)', () => {
  const n = 200_000;
  const x = new SeededNormal(7).fill(n);
  let sum = 0;
  let sq = 0;
  let within1 = 0;
  for (const v of x) {
    sum += v;
    sq += v * v;
    if (Math.abs(v) < 1) within1++;
  }
  const mean = sum / n;
  const variance = sq / n - mean * mean;
  // Std errors: mean 1/√n ≈ 0.00224, variance √(2/n) ≈ 0.00316, P(|Z|<1) √(p(1−p)/n) ≈ 0.00104; 5 sigma each.
  assert.ok(Math.abs(mean) < 5 * 0.00224, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 5 * 0.00316, `variance ${variance}`);
  assert.ok(Math.abs(within1 / n - 0.682689) < 5 * 0.00104, `P(|x|<1) ${within1 / n}`);
});
