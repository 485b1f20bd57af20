import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { isDpError } from '../../src/errors.js';
import { loadPrivateImageBatch } from '../../src/conditioning/private-images.js';
import { writeTestImages } from '../helpers/test-packs.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dp-private-images-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A w × h image of one colour, left half `left`, right half `right`. */
async function writeHalves(path: string, w: number, h: number, left: readonly number[], right: readonly number[]): Promise<void> {
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.set(x < w / 2 ? left : right, (y * w + x) * 3);
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(path);
}

test('a folder of mixed sizes becomes one uint8 batch [B, size, size, 3], centre-cropped', async () => {
  await withDir(async (dir) => {
    await writeTestImages(dir, { count: 3, width: 20, height: 12, prefix: 'a' });
    // 300 × 100, left half red, right half blue: a centre crop to a square keeps both halves side by side.
    await writeHalves(join(dir, 'b.png'), 300, 100, [255, 0, 0], [0, 0, 255]);
    const t = await loadPrivateImageBatch({ dir, size: 32, onUnreadable: 'fail' });
    assert.equal(t.dtype, 'uint8');
    assert.deepEqual(t.shape, [4, 32, 32, 3]);
    assert.equal(t.data.length, 4 * 32 * 32 * 3);
    const frame = 32 * 32 * 3;
    const at = (x: number, y: number): number[] => Array.from(t.data.subarray(3 * frame + (y * 32 + x) * 3, 3 * frame + (y * 32 + x) * 3 + 3));
    assert.deepEqual(at(2, 16), [255, 0, 0]);
    assert.deepEqual(at(29, 16), [0, 0, 255]);
  });
});

test('an image already size × size passes through unchanged', async () => {
  await withDir(async (dir) => {
    await writeTestImages(dir, { count: 1, width: 16, height: 16, seed: 3 });
    const [name] = await writeTestImages(join(dir, 'copy'), { count: 1, width: 16, height: 16, seed: 3 });
    const { data } = await sharp(join(dir, 'copy', name as string)).raw().toBuffer({ resolveWithObject: true });
    const t = await loadPrivateImageBatch({ dir, size: 16, onUnreadable: 'fail' });
    assert.deepEqual(t.shape, [1, 16, 16, 3]);
    assert.deepEqual(Buffer.from(t.data), data);
  });
});

test('an unreadable file fails without its name under "fail" and is left out under "skip"', async () => {
  await withDir(async (dir) => {
    await writeTestImages(dir, { count: 2, width: 10, height: 10, prefix: 'secret_' });
    await writeFile(join(dir, 'secret_broken.png'), 'not an image');
    await assert.rejects(loadPrivateImageBatch({ dir, size: 8, onUnreadable: 'fail' }), (e: unknown) => {
      assert.ok(isDpError(e) && e.code === 'IMAGE_UNREADABLE');
      assert.ok(!e.message.includes('secret') && !/\d/.test(e.message), e.message);
      return true;
    });
    const t = await loadPrivateImageBatch({ dir, size: 8, onUnreadable: 'skip' });
    assert.deepEqual(t.shape, [2, 8, 8, 3]);
  });
});

test('a folder with no readable image is IMAGES_EMPTY; a cancelled load is CANCELLED', async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'x.png'), 'not an image');
    await assert.rejects(loadPrivateImageBatch({ dir, size: 8, onUnreadable: 'skip' }), (e: unknown) => isDpError(e) && e.code === 'IMAGES_EMPTY');
    await writeTestImages(dir, { count: 2, width: 10, height: 10 });
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(loadPrivateImageBatch({ dir, size: 8, onUnreadable: 'skip', signal: ac.signal }), (e: unknown) => isDpError(e) && e.code === 'CANCELLED');
  });
});
