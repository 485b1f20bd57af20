// End-to-end: `dp-hyperlora pack clip-frames` through the built CLI (`npx tsc -p tsconfig.build.json` first): the
// SD pack trainer's CLIP-vision frames are, byte for byte, the IMAGE that Load Private Images makes of the same files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadPrivateImageBatch } from '../../src/conditioning/private-images.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'dp-hyperlora.js');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DP_HYPERLORA_LOG: 'warn' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A seeded RGBA image (some pixels transparent) of w × h, as PNG bytes. */
async function png(w: number, h: number, seed: number): Promise<Buffer> {
  const px = Buffer.alloc(w * h * 4);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37 + seed * 101 + ((i * i) % 251)) & 255;
  return sharp(px, { raw: { width: w, height: h, channels: 4 } }).png().toBuffer();
}

test('pack clip-frames gives Load Private Images\' frames of the same files; an unreadable file is named; an empty list is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-frames-'));
  try {
    const files: string[] = [];
    for (const [i, [w, h]] of [[300, 180], [40, 70]].entries()) {
      await mkdir(join(dir, `set${i}`));
      const file = join(dir, `set${i}`, 'image.png');
      await writeFile(file, await png(w ?? 1, h ?? 1, i));
      files.push(file);
    }
    await writeFile(join(dir, 'list.txt'), files.join('\n') + '\n');
    const r = cli(['pack', 'clip-frames', '--list', join(dir, 'list.txt'), '--size', '32', '--out', join(dir, 'frames.raw')]);
    assert.equal(r.status, 0, r.stderr);
    const frames = new Uint8Array(await readFile(join(dir, 'frames.raw')));
    assert.equal(frames.length, 2 * 32 * 32 * 3);
    for (const i of [0, 1]) {
      const batch = await loadPrivateImageBatch({ dir: join(dir, `set${i}`), size: 32, onUnreadable: 'fail' });
      assert.deepEqual(batch.shape, [1, 32, 32, 3]);
      assert.deepEqual(frames.subarray(i * 3072, (i + 1) * 3072), batch.data);
    }

    await writeFile(join(dir, 'broken.png'), 'not an image');
    await writeFile(join(dir, 'bad.txt'), join(dir, 'broken.png') + '\n');
    const bad = cli(['pack', 'clip-frames', '--list', join(dir, 'bad.txt'), '--out', join(dir, 'x.raw')]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /public image .*broken\.png cannot be decoded .*remove or replace it/);
    await writeFile(join(dir, 'empty.txt'), '');
    const empty = cli(['pack', 'clip-frames', '--list', join(dir, 'empty.txt'), '--out', join(dir, 'x.raw')]);
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /names no image/);
    const size = cli(['pack', 'clip-frames', '--list', join(dir, 'list.txt'), '--size', '8', '--out', join(dir, 'x.raw')]);
    assert.equal(size.status, 2);
    assert.match(size.stderr, /--size must be between 16 and 2048/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
