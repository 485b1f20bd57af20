// Bounded memory: peak RSS while embedding 2,400 images of 256×256 is within a small margin of the peak for 300
// (the pipeline keeps O(batch) images alive, never O(n): holding the decoded images would add ~440 MB). The 10,000-image figure is in bench/time-to-lora.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir, mkdir, link } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADD_REMOVE, delta, epsilon } from '../../src/dp/index.js';
import { openLedger } from '../../src/dp/ledger.js';
import { makeDpLora } from '../../src/pack/personalise.js';
import { writeTestImages, writeTestPack, type TestPack } from '../helpers/test-packs.js';

let work: string;
let pack: TestPack;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'dphl-stream-'));
  pack = await writeTestPack({ target: 'reference', dir: join(work, 'pack'), maxBatch: 32 });
  await writeTestImages(join(work, 'big'), { count: 2400, width: 256, height: 256, channels: 3, pattern: 'flat' });
  // The small set is a prefix of the big one (hard links: no extra writing).
  await mkdir(join(work, 'small'));
  for (const name of (await readdir(join(work, 'big'))).slice(0, 300)) await link(join(work, 'big', name), join(work, 'small', name));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function peakRssDuring(dir: string, ledgerName: string): Promise<{ peakMb: number; startMb: number }> {
  global.gc?.();
  const startMb = process.memoryUsage.rss() / 2 ** 20;
  let peak = startMb;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss() / 2 ** 20); }, 20);
  const ledger = openLedger(join(work, ledgerName));
  try {
    await makeDpLora({ pack: pack.dir, images: { kind: 'folder', dir }, epsilon: epsilon(1), delta: delta(1e-5), relation: ADD_REMOVE, releaseNumber: 1, ledger, provider: 'cpu' });
  } finally {
    clearInterval(timer);
    ledger.close();
  }
  return { peakMb: Math.max(peak, process.memoryUsage.rss() / 2 ** 20), startMb };
}

test('peak RSS does not grow with n (300 vs 2,400 images)', { timeout: 180_000 }, async (t) => {
  await peakRssDuring(join(work, 'small'), 'warm.sqlite'); // warm-up: load onnxruntime, sharp, sqlite
  const small = await peakRssDuring(join(work, 'small'), 'small.sqlite');
  const big = await peakRssDuring(join(work, 'big'), 'big.sqlite');
  const growth = big.peakMb - small.peakMb;
  t.diagnostic(`peak RSS: 300 images ${small.peakMb.toFixed(1)} MB, 2,400 images ${big.peakMb.toFixed(1)} MB`);
  // 8× the images. Keeping the 2,100 extra decoded images (196 KB each) would add ~440 MB.
  assert.ok(growth < 60, `peak RSS grew by ${growth.toFixed(1)} MB from 300 to 2,400 images (small ${small.peakMb.toFixed(1)} MB, big ${big.peakMb.toFixed(1)} MB)`);
});
