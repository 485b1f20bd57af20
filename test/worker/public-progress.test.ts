/** The progress a private-data node may send to ComfyUI: the same messages for every set size and batching. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PUBLIC_PROGRESS_STEPS, publicProgress } from '../../src/worker/public-progress.js';

/** Drives a reporter the way a Noisy Aggregate run does: per-batch exact counts, then the two milestones. */
function messages(n: number, batch: number, expected: number | undefined): Array<[number, number]> {
  const sent: Array<[number, number]> = [];
  const p = publicProgress((value, max) => sent.push([value, max]));
  for (let done = Math.min(batch, n); ; done = Math.min(done + batch, n)) {
    p.embedded(done, expected);
    if (done >= n) break;
  }
  p.streamEnded();
  p.released();
  return sent;
}

test('every set gives the same sequence 0, 1, …, 10 of 10, whatever n, batching, or expected total', () => {
  const want = Array.from({ length: PUBLIC_PROGRESS_STEPS + 1 }, (_, i) => [i, PUBLIC_PROGRESS_STEPS]);
  for (const [n, batch, expected] of [[1, 32, 1], [3, 2, 5], [37, 16, 40], [211, 16, 219], [5000, 64, 5000], [12, 4, undefined]] as const) {
    assert.deepEqual(messages(n, batch, expected), want, `n = ${n}, batch ${batch}, expected ${expected}`);
  }
});

test('the bar moves with the stream: a quarter of the images done shows step 2 of 10', () => {
  const sent: number[] = [];
  const p = publicProgress((value) => sent.push(value));
  p.embedded(250, 1000);
  assert.deepEqual(sent, [0, 1, 2]);
  p.embedded(260, 1000);
  assert.deepEqual(sent, [0, 1, 2], 'no message until the next coarse step');
});
