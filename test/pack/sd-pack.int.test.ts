// An SD pack made at test time by training/sdpack's exporter (random weights, never committed) loads through the
// worker's loader; its φ head and hypernetwork run in onnxruntime-node with PyTorch's outputs; the LoRA has the
// sd15 layout; a CLIP-vision model of another family or dimension is refused with a message naming both; and the
// image route refuses the pack. Needs /usr/bin/python3 with torch and onnx (skipped, with the reason, without).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { clipNorm } from '../../src/dp/types.js';
import type { ImageId } from '../../src/dp/identity.js';
import { DpHyperLoraError } from '../../src/errors.js';
import { SD15_LAYOUT } from '../../src/lora/index.js';
import { checkClipVisionPack, clipVisionHeadSource } from '../../src/pack/clip-vision-head.js';
import { loraFromEmbedding } from '../../src/pack/lora-from-embedding.js';
import { loadPack } from '../../src/pack/manifest.js';
import { packEncoderSource } from '../../src/pack/pack-encoder-source.js';
import type { DpDatasetEmbedding } from '../../src/pack/release-embedding.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const python = '/usr/bin/python3';

function skipReason(): string | false {
  const r = spawnSync(python, ['-c', 'import torch, onnx'], { encoding: 'utf8', timeout: 120_000 });
  return r.status === 0 ? false : `${python} cannot import torch and onnx: install them to run the SD pack export check`;
}

interface Parity {
  clipEmbeds: number[]; embeddings: number[]; embedding: number[];
  hypernet: Record<string, { dims: number[]; data: number[] }>; modules: number;
}

function close(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] ?? NaN;
    assert.ok(Math.abs((actual[i] ?? NaN) - e) <= 2e-5 + 1e-4 * Math.abs(e), `${what}[${i}]: ${actual[i]} vs ${e}`);
  }
}

test('an SD pack exported by training/sdpack loads and runs in the worker', { skip: skipReason() }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sdpack-'));
  try {
    const made = spawnSync(python, [join(root, 'test/training/make_tiny_sdpack.py'), dir], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(made.status, 0, made.stderr);
    const parity = JSON.parse(readFileSync(join(dir, 'parity.json'), 'utf8')) as Parity;
    const pack = await loadPack(join(dir, 'pack'));
    const m = pack.manifest;
    assert.deepEqual(m.clipVision, { family: 'clip-vit-h-14', dim: 1024, field: 'image_embeds' });
    assert.equal(m.target, 'sd15');
    assert.equal(m.base?.unetSha256, 'ab'.repeat(32));
    assert.equal(m.training?.steps, 1);
    assert.equal(m.lora.modules.length, SD15_LAYOUT.modules.length);

    checkClipVisionPack(pack, { family: 'clip-vit-h-14', dim: 1024 });
    assert.throws(() => checkClipVisionPack(pack, { family: 'clip-vit-bigg-14', dim: 1280 }), (e: unknown) => {
      assert.ok(e instanceof DpHyperLoraError);
      assert.equal(e.code, 'PACK_INCOMPATIBLE');
      assert.match(e.message, /trained on clip-vit-h-14 \(image_embeds of 1024 dimensions\).*clip-vit-bigg-14 \(1280 dimensions\)/);
      return true;
    });

    const head = await ort.InferenceSession.create(join(dir, 'pack', m.encoder.file));
    const hypernet = await ort.InferenceSession.create(join(dir, 'pack', m.hypernet.file));
    try {
      const count = 5;
      const images = { data: new Uint8Array(count * 2 * 2 * 3).map((_, i) => i % 251), shape: [count, 2, 2, 3] };
      const source = clipVisionHeadSource({ pack, head, embeds: Float32Array.from(parity.clipEmbeds), images, count, clipNorm: clipNorm(1) });
      assert.equal(source.dim, m.embeddingDim);
      const rows: number[] = [];
      const ids: ImageId[] = [];
      await source.stream((px) => `id-${px.join('.')}` as unknown as ImageId, (b) => { rows.push(...b.rows); ids.push(...b.ids); });
      close(rows, parity.embeddings, 'head rows');
      assert.equal(new Set(ids).size, count);

      const lora = await loraFromEmbedding({ pack, hypernet, embedding: Float32Array.from(parity.embedding) as unknown as DpDatasetEmbedding });
      assert.equal(lora.tensors.length, 3 * parity.modules);
      for (const [name, want] of Object.entries(parity.hypernet)) {
        const got = lora.factors[name];
        assert.ok(got, name);
        assert.deepEqual([...got.dims], want.dims);
        close(got.data, want.data, name);
      }
      assert.throws(() => packEncoderSource({ pack, images: { kind: 'decoded', images: [] }, encoder: head, clipNorm: clipNorm(1) }),
        /embeds images through clip-vit-h-14.*DP Embed \(CLIP Vision\)/);
    } finally {
      await head.release();
      await hypernet.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
