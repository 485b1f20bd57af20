import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alphaBars, ddimTimesteps } from '../../src/diffusion/schedule.js';
import { isDpError } from '../../src/errors.js';

test('alphaBars: equals training/diffusion.py Schedule().alpha_bar (float32) bit for bit', () => {
  // Values printed by: /usr/bin/python3 -c "from training.diffusion import Schedule; a=Schedule().alpha_bar; print(a[0].item(), ...)"
  const bars = alphaBars({ kind: 'linear', betaStart: 0.0001, betaEnd: 0.02 }, 1000);
  assert.equal(bars.length, 1000);
  assert.equal(bars[0], 0.9998999834060669);
  assert.equal(bars[1], 0.9997801184654236);
  assert.equal(bars[499], 0.07858724147081375);
  assert.equal(bars[999], 4.0358296246267855e-5);
});

test('ddimTimesteps: floor(i·T/steps), descending, ending at 0 (training/diffusion.py ddim_timesteps)', () => {
  assert.deepEqual(ddimTimesteps(10, 1000), [900, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
  assert.deepEqual(ddimTimesteps(3, 10), [6, 3, 0]);
  assert.deepEqual(ddimTimesteps(1, 1000), [0]);
  assert.equal(ddimTimesteps(50, 1000)[0], 980);
  assert.throws(() => ddimTimesteps(0, 1000), (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') &&
    e.message === 'steps 0 must be an integer between 1 and the model\'s 1000 timesteps');
});

test('alphaBars: bad schedules are refused with PACK_INVALID', () => {
  assert.throws(() => alphaBars({ kind: 'linear', betaStart: 0.02, betaEnd: 0.0001 }, 1000),
    (e: unknown) => isDpError(e, 'PACK_INVALID') && e.message === 'sampler.schedule betas [0.02, 0.0001] must satisfy 0 < betaStart ≤ betaEnd < 1');
  assert.throws(() => alphaBars({ kind: 'linear', betaStart: 0.0001, betaEnd: 0.02 }, 1),
    (e: unknown) => isDpError(e, 'PACK_INVALID') && e.message === 'sampler.timesteps 1 must be an integer ≥ 2');
});
