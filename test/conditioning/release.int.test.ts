/**
 * The conditioning route's private source through the one release path (src/pack releaseDatasetEmbedding) with a
 * real ledger: k-dimensional release, pixel identities (a repeated image counts once), idempotent repeats, and the
 * pack being part of the release's key (another pack is another release).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADD_REMOVE, delta, epsilon, openLedger } from '../../src/dp/index.js';
import { familyOf } from '../../src/conditioning/family.js';
import { conditioningFromRelease } from '../../src/conditioning/conditioning-output.js';
import { buildConditioningPack, loadConditioningPack, writeConditioningPack } from '../../src/conditioning/pack.js';
import { projectedSource, projectPrivateSet } from '../../src/conditioning/private-set.js';
import { releaseDatasetEmbedding, type LocalReleaseFacts } from '../../src/pack/release-embedding.js';

const D = 1024;

function rows(m: number, seed: number): Float32Array {
  const out = new Float32Array(m * D);
  for (let i = 0; i < out.length; i++) out[i] = Math.sin((i + 3) * 0.377 * seed) + ((i % D) < 6 ? Math.cos(i * seed) : 0);
  return out;
}

test('release through releaseDatasetEmbedding: k values, duplicates by pixels count once, repeats are free, the pack is in the key', async () => {
  const work = await mkdtemp(join(tmpdir(), 'cond-release-'));
  try {
    const model = familyOf({ imageEmbeds: [1, D], lastHiddenState: [1, 257, 1280] });
    for (const [name, seed] of [['a', 1], ['b', 2]] as const) {
      await writeConditioningPack(join(work, name), buildConditioningPack({ rows: rows(40, seed), m: 40, model, k: 8, id: name, whose: 'synthetic' }), false);
    }
    const packA = await loadConditioningPack(join(work, 'a'));
    const packB = await loadConditioningPack(join(work, 'b'));
    const n = 6;
    const pixels = new Uint8Array(n * 4 * 4 * 3);
    for (let i = 0; i < n; i++) pixels.fill(10 * i + 1, i * 48, (i + 1) * 48);
    pixels.copyWithin(5 * 48, 4 * 48, 5 * 48); // image 5 is a pixel copy of image 4: one image, one contribution
    const images = { dtype: 'uint8' as const, shape: [n, 4, 4, 3], data: pixels };
    const embeds = { rows: rows(n, 7), batch: n, dim: D, shapes: { imageEmbeds: [n, D], lastHiddenState: [n, 257, 1280] } };
    const ledger = openLedger(join(work, 'ledger.sqlite'), { initialBudget: { epsilon: 100, delta: 1e-5 } });
    try {
      let facts: LocalReleaseFacts | undefined;
      const request = { epsilon: epsilon(4), delta: delta(1e-5), relation: ADD_REMOVE, releaseNumber: 1, ledger, onLocalFacts: (f: LocalReleaseFacts) => { facts = f; } };
      const first = await releaseDatasetEmbedding(projectedSource(projectPrivateSet(packA, embeds, images, 'test')), request);
      assert.equal(first.embedding.length, 8);
      assert.equal(first.plan.request.dim, 8);
      assert.equal(first.plan.request.clipNorm, packA.manifest.dp.clipNorm);
      assert.equal(first.receipt.charged, true);
      assert.deepEqual([facts?.imagesUsed, facts?.duplicatesDropped], [5, 1]);
      const again = await releaseDatasetEmbedding(projectedSource(projectPrivateSet(packA, embeds, images, 'test')), request);
      assert.equal(again.receipt.charged, false);
      assert.deepEqual([...again.embedding], [...first.embedding]);
      const other = await releaseDatasetEmbedding(projectedSource(projectPrivateSet(packB, embeds, images, 'test')), request);
      assert.equal(other.receipt.charged, true, 'another basis is another release');
      const out = conditioningFromRelease(packA, {
        embedding: first.embedding, epsilon: 4, delta: 1e-5, relation: 'add-remove', sigmaSum: first.plan.sigmaSum, clipNorm: first.plan.request.clipNorm, publicCount: first.noisyCount ?? undefined,
      });
      assert.equal(out.imageEmbeds.length, D);
      assert.ok(out.imageEmbeds.every((v) => Number.isFinite(v)));
    } finally {
      ledger.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
