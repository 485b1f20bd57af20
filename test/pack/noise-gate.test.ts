/**
 * The stop before the spend (src/pack/noise-gate.ts inside releaseDatasetEmbedding), with a real ledger and a small
 * in-memory embedding source (rows plus identities, the same interface as the pack encoder and the CLIP-vision
 * route). Checked: a stop after the noisy count charges exactly the count's ρ and stores no sum; a repeat of the
 * stop is free; an opted-in run later charges only the rest, so count + sum ≥ the release's ρ (never rounded down);
 * replace-one refuses before reading or charging anything; the whole release must fit before the count is charged.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openLedger, type Ledger } from '../../src/dp/ledger.js';
import { addRoundingUp } from '../../src/dp/ledger-budget.js';
import { planRelease } from '../../src/dp/release.js';
import { ADD_REMOVE, clipNorm, delta, epsilon, replaceOne, type NeighbouringRelation, type Rho } from '../../src/dp/types.js';
import { epsilonFromRho } from '../../src/dp/zcdp.js';
import { isDpError } from '../../src/errors.js';
import { rhoAfterCount } from '../../src/pack/noise-gate.js';
import type { PrivateEmbeddingSource } from '../../src/pack/private-source.js';
import { releaseDatasetEmbedding } from '../../src/pack/release-embedding.js';

const DIM = 16;

function source(n: number): PrivateEmbeddingSource & { streams: number } {
  const s = {
    dim: DIM, clipNorm: clipNorm(1), embedder: { test: 'noise-gate' }, streams: 0,
    async stream(identify: Parameters<PrivateEmbeddingSource['stream']>[0], sink: Parameters<PrivateEmbeddingSource['stream']>[1]) {
      s.streams++;
      const rows = new Float32Array(n * DIM).map((_, i) => ((i * 7) % 11) / 20);
      sink({ ids: Array.from({ length: n }, (_, i) => identify(new Uint8Array([i, i >> 8, 3]), 1, 1, 3)), rows });
    },
  };
  return s;
}

function newLedger(budgetEpsilon = 10): Ledger {
  return openLedger(join(mkdtempSync(join(tmpdir(), 'dphl-gate-')), 'ledger.sqlite'), { initialBudget: { epsilon: budgetEpsilon, delta: 1e-5 } });
}

const plan = (relation: NeighbouringRelation) => planRelease({ epsilon: epsilon(1), delta: delta(1e-5), clipNorm: clipNorm(1), relation, dim: DIM });
const request = (ledger: Ledger, stopAboveNoise: number | undefined, relation: NeighbouringRelation = ADD_REMOVE) => ({
  epsilon: epsilon(1), delta: delta(1e-5), relation, releaseNumber: 1, ledger, ...(stopAboveNoise === undefined ? {} : { stopAboveNoise }),
});
// 0.001 C of noise on the mean needs thousands of images at ε = 1; a noisy count of 3 images (σ_count ≈ 13) never gets there.
const STRICT = 0.001;

test('add-remove: too few images stop after the noisy count; only the count\'s ρ is charged, exactly, and no sum is stored', async () => {
  const ledger = newLedger();
  try {
    const p = plan(ADD_REMOVE);
    await assert.rejects(releaseDatasetEmbedding(source(3), request(ledger, STRICT)), (e: unknown) => isDpError(e, 'TOO_FEW_IMAGES')
      && e.message.startsWith('stopped after the noisy image count: it came out at about ')
      && e.message.includes(`Only the noisy count's share of this release was charged: ε = ${Number(epsilonFromRho(p.rhoCount, delta(1e-5)).toPrecision(3))} per image`)
      && e.message.includes('no LoRA was made') && e.message.includes('"make the LoRA anyway"'));
    assert.equal(ledger.budget().mostSpentImage.spentRho, p.rhoCount);
    assert.deepEqual(ledger.list().map((r) => [(r.params as { part?: string }).part, r.rho]), [['noisy-count', p.rhoCount]]);

    await assert.rejects(releaseDatasetEmbedding(source(3), request(ledger, STRICT)), (e: unknown) => isDpError(e, 'TOO_FEW_IMAGES')
      && e.message.includes('Nothing more was charged now: release #1 already stopped here'));
    assert.equal(ledger.budget().mostSpentImage.spentRho, p.rhoCount, 'a repeat of the stop is free');

    const opted = await releaseDatasetEmbedding(source(3), request(ledger, undefined));
    const total = addRoundingUp(p.rhoCount, rhoAfterCount(p));
    assert.equal(ledger.budget().mostSpentImage.spentRho, total);
    assert.ok(total >= p.rhoTotal && total <= p.rhoTotal * (1 + 1e-9), 'count + sum covers the whole release, rounded up');
    assert.equal(opted.receipt.charged, true);
    assert.equal(opted.receipt.epsilonCharged, epsilonFromRho(rhoAfterCount(p), delta(1e-5)), 'this run charged only the rest');
    assert.deepEqual(ledger.list().map((r) => (r.params as { part?: string }).part), ['noisy-count', 'sum']);

    const again = await releaseDatasetEmbedding(source(3), request(ledger, undefined));
    assert.equal(again.receipt.charged, false);
    assert.deepEqual([...again.embedding], [...opted.embedding]);
    assert.equal(again.noisyCount, opted.noisyCount);
    assert.equal(ledger.budget().mostSpentImage.spentRho, total);
  } finally {
    ledger.close();
  }
});

test('add-remove with enough room in the range: count then sum, one run, the whole ρ charged, rounded up', async () => {
  const ledger = newLedger();
  try {
    const p = plan(ADD_REMOVE);
    const r = await releaseDatasetEmbedding(source(3), request(ledger, 1e9));
    assert.equal(r.receipt.charged, true);
    assert.equal(r.receipt.epsilonCharged, epsilonFromRho(addRoundingUp(p.rhoCount, rhoAfterCount(p)) as Rho, delta(1e-5)));
    assert.ok(ledger.budget().mostSpentImage.spentRho >= p.rhoTotal);
    assert.ok(Number.isSafeInteger(r.noisyCount));
  } finally {
    ledger.close();
  }
});

test('replace-one: a declared n too small for this ε is refused before anything is read or charged', async () => {
  const ledger = newLedger();
  try {
    const src = source(3);
    await assert.rejects(releaseDatasetEmbedding(src, request(ledger, STRICT, replaceOne(3))), (e: unknown) => isDpError(e, 'TOO_FEW_IMAGES')
      && e.message.startsWith('refused before any privacy budget was spent: with the declared n = 3 at ε = 1'));
    assert.equal(src.streams, 0);
    assert.equal(ledger.list().length, 0);
  } finally {
    ledger.close();
  }
});

test('the whole release must fit the budget before the count is charged', async () => {
  const p = plan(ADD_REMOVE);
  // A budget the count alone would fit but the whole release does not.
  const ledger = newLedger(Number(epsilonFromRho(((p.rhoCount + p.rhoTotal) / 2) as Rho, delta(1e-5)).toPrecision(6)));
  try {
    await assert.rejects(releaseDatasetEmbedding(source(3), request(ledger, STRICT)), (e: unknown) => isDpError(e, 'BUDGET_EXHAUSTED'));
    assert.equal(ledger.list().length, 0);
    assert.equal(ledger.budget().mostSpentImage.spentRho, 0);
  } finally {
    ledger.close();
  }
});

test('an add-remove release stored before releases were split is still recognised: the repeat is free', async () => {
  const ledger = newLedger();
  try {
    const p = plan(ADD_REMOVE);
    const src = source(3);
    const ids: ReturnType<Ledger['identify']>[] = [];
    await src.stream((px, w, h, c) => { const id = ledger.identify(px, w, h, c); ids.push(id); return id; }, () => undefined);
    const params = { mechanism: 'dp-deepsets-discrete-gaussian', epsilon: 1, delta: 1e-5, relation: 'add-remove', clipNorm: 1, test: 'noise-gate', embeddingDim: DIM };
    await ledger.release({ imageIds: ids, params, releaseNumber: 1, rho: p.rhoTotal, compute: () => ({ embedding: new Array<number>(DIM).fill(0.5), noisyCount: 4 }) });
    const r = await releaseDatasetEmbedding(source(3), request(ledger, STRICT));
    assert.equal(r.receipt.charged, false);
    assert.equal(r.noisyCount, 4);
    assert.equal(ledger.list().length, 1);
  } finally {
    ledger.close();
  }
});
