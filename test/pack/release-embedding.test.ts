/**
 * releaseDatasetEmbedding through a second, in-memory PrivateEmbeddingSource (rows given directly, identities from
 * pixels, as a precomputed-embedding route would): the boundary's own behaviour, independent of the pack encoder.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ADD_REMOVE, clipNorm, delta, epsilon, replaceOne } from '../../src/dp/index.js';
import { openLedger, type Ledger } from '../../src/dp/ledger.js';
import { isDpError } from '../../src/errors.js';
import type { PrivateEmbeddingSource } from '../../src/pack/private-source.js';
import { releaseDatasetEmbedding, type LocalReleaseFacts } from '../../src/pack/release-embedding.js';

const DIM = 4;
let work: string;
let ledger: Ledger;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'dphl-release-embedding-'));
  ledger = openLedger(join(work, 'ledger.sqlite'), { initialBudget: { epsilon: 1e6, delta: 1e-5 } });
});

after(async () => {
  ledger.close();
  await rm(work, { recursive: true, force: true });
});

/** `n` images whose pixels are (seed, i) and whose embedding is `row(i)`; image `repeat[k]` is streamed again. */
function memorySource(n: number, seed: number, row: (i: number) => number[], repeat: readonly number[] = []): PrivateEmbeddingSource {
  return {
    dim: DIM, clipNorm: clipNorm(1), embedder: { packId: 'memory', packVersion: '1', encoderSha256: 'none' },
    async stream(identify, sink) {
      const order = [...Array.from({ length: n }, (_, i) => i), ...repeat];
      for (let start = 0; start < order.length; start += 5) {
        const chunk = order.slice(start, start + 5);
        const rows = new Float32Array(chunk.flatMap(row));
        sink({ ids: chunk.map((i) => identify(Uint8Array.of(seed, i & 255, i >> 8), 1, 1, 3)), rows });
      }
    },
  };
}

test('the noisy count is a noisy release of n, never n itself: mean ≈ n, spread ≈ σ_count over 40 releases', async () => {
  const n = 57;
  const counts: number[] = [];
  let sigmaCount = 0;
  for (let k = 1; k <= 40; k++) {
    const r = await releaseDatasetEmbedding(memorySource(n, 1, () => [0.5, 0, 0, 0]), {
      epsilon: epsilon(1), delta: delta(1e-5), relation: ADD_REMOVE, releaseNumber: k, ledger,
    });
    assert.equal(r.receipt.charged, true);
    counts.push(r.noisyCount as number);
    sigmaCount = r.plan.sigmaCount as number;
  }
  const mean = counts.reduce((s, x) => s + x, 0) / counts.length;
  const sd = Math.sqrt(counts.reduce((s, x) => s + (x - mean) ** 2, 0) / (counts.length - 1));
  // The count noise is an integer discrete Gaussian, so n itself comes back now and then (≈ 3% at σ 12.8): the
  // spread is what tells a noisy count from the exact n (which has none).
  assert.ok(counts.some((c) => c !== n), `the exact n came back as every noisy count: ${counts.join(', ')}`);
  // σ_count ≈ 12.8 at ε = 1: the sample sd of 40 draws lies in [0.7σ, 1.3σ] with probability > 0.99.
  assert.ok(sd > 0.7 * sigmaCount && sd < 1.3 * sigmaCount, `sd ${sd} vs σ_count ${sigmaCount}`);
  assert.ok(Math.abs(mean - n) < 4 * sigmaCount / Math.sqrt(counts.length), `mean ${mean} vs n ${n}`);
});

test('a row whose image came earlier is dropped (one image, one contribution); the exact facts go only to onLocalFacts', async () => {
  let facts: LocalReleaseFacts | undefined;
  const phases: string[] = [];
  // replace-one with n = 12: the 3 repeats must be dropped, or the count check refuses the release.
  const r = await releaseDatasetEmbedding(memorySource(12, 2, (i) => [i % 2 === 0 ? 1 : -1, 0, 0, 0], [0, 2, 4]), {
    epsilon: epsilon(50), delta: delta(1e-5), relation: replaceOne(12), releaseNumber: 1, ledger,
    onLocalFacts: (f) => { facts = f; }, onPhase: (p) => phases.push(p),
  });
  assert.deepEqual([facts?.imagesUsed, facts?.duplicatesDropped], [12, 3]);
  assert.deepEqual(phases, ['embedded', 'released']);
  // The mean of +1/−1 alternating rows is 0; with the repeats counted it would be 3/15 = 0.2.
  assert.ok(Math.abs((r.embedding[0] as number)) < 0.1, `first coordinate ${r.embedding[0]}`);
  assert.deepEqual(Object.keys(r).sort(), ['embedding', 'noisyCount', 'plan', 'receipt']);
  assert.equal(r.noisyCount, null);
  const again = await releaseDatasetEmbedding(memorySource(12, 2, (i) => [i % 2 === 0 ? 1 : -1, 0, 0, 0]), {
    epsilon: epsilon(50), delta: delta(1e-5), relation: replaceOne(12), releaseNumber: 1, ledger,
  });
  assert.equal(again.receipt.charged, false, 'the same set without its repeats is the same set: a free repeat');
  assert.deepEqual([...again.embedding], [...r.embedding]);
});

test('an empty set and a wrong replace-one n are refused before any charge, without counts in the message', async () => {
  const before = ledger.list().length;
  await assert.rejects(releaseDatasetEmbedding(memorySource(0, 3, () => [1, 0, 0, 0]), {
    epsilon: epsilon(1), delta: delta(1e-5), relation: ADD_REMOVE, releaseNumber: 1, ledger,
  }), (e: unknown) => isDpError(e, 'IMAGES_EMPTY') && !/\d/.test(e.message));
  await assert.rejects(releaseDatasetEmbedding(memorySource(7, 3, () => [1, 0, 0, 0]), {
    epsilon: epsilon(1), delta: delta(1e-5), relation: replaceOne(8), releaseNumber: 1, ledger,
  }), (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') && !e.message.includes('7'));
  assert.equal(ledger.list().length, before);
});
