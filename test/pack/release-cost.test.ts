/**
 * The cost shown before a run (src/pack/release-cost.ts): every figure checked against the code that will act on it:
 * the plan's guarantee, the ledger that will refuse the release one past `releasesPerFreshImage`, and the noise
 * assessment that flags a set one image below `fewestImages`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openLedger } from '../../src/dp/ledger.js';
import { planRelease } from '../../src/dp/release.js';
import { ADD_REMOVE, clipNorm, delta, epsilon, replaceOne } from '../../src/dp/types.js';
import { epsilonFromRho } from '../../src/dp/zcdp.js';
import { isDpError } from '../../src/errors.js';
import { noiseAssessment } from '../../src/pack/noise-range.js';
import { releaseCost } from '../../src/pack/release-cost.js';

const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'models', 'reference', 'manifest.json'), 'utf8')) as {
  embeddingDim: number; dp: { clipNorm: number; trainedNoise: { min: number; max: number } };
};

test('the ε charged is the plan\'s guarantee, and the count-only ε is the count\'s share of it', () => {
  const cost = releaseCost({ epsilon: 1, delta: 1e-5, relation: ADD_REMOVE, manifest });
  const plan = planRelease({ epsilon: epsilon(1), delta: delta(1e-5), clipNorm: clipNorm(manifest.dp.clipNorm), relation: ADD_REMOVE, dim: manifest.embeddingDim });
  assert.equal(cost.epsilonCharged, plan.epsilon);
  assert.ok(cost.epsilonCharged <= 1 && cost.epsilonCharged > 0.99);
  assert.equal(cost.countOnlyEpsilon, epsilonFromRho(plan.rhoCount, delta(1e-5)));
  assert.ok(cost.countOnlyEpsilon !== undefined && cost.countOnlyEpsilon < cost.epsilonCharged);
  assert.deepEqual(cost.budget, { epsilon: 10, delta: 1e-5 });
  assert.equal(releaseCost({ epsilon: 1, delta: 1e-5, relation: replaceOne(40), manifest }).countOnlyEpsilon, undefined);
});

test('fewestImages is the boundary of the noise assessment: one image fewer is flagged, that many is not', () => {
  for (const eps of [0.5, 1, 4]) {
    const cost = releaseCost({ epsilon: eps, delta: 1e-5, relation: ADD_REMOVE, manifest });
    const plan = planRelease({ epsilon: epsilon(eps), delta: delta(1e-5), clipNorm: clipNorm(manifest.dp.clipNorm), relation: ADD_REMOVE, dim: manifest.embeddingDim });
    assert.equal(noiseAssessment(plan, manifest.dp.trainedNoise, cost.fewestImages).meanNoiseStdOverC! <= manifest.dp.trainedNoise.max, true, `ε=${eps}`);
    assert.ok(noiseAssessment(plan, manifest.dp.trainedNoise, cost.fewestImages - 1).meanNoiseStdOverC! > manifest.dp.trainedNoise.max, `ε=${eps}`);
  }
  assert.ok(releaseCost({ epsilon: 4, delta: 1e-5, relation: ADD_REMOVE, manifest }).fewestImages
    < releaseCost({ epsilon: 1, delta: 1e-5, relation: ADD_REMOVE, manifest }).fewestImages);
});

test('releasesPerFreshImage is exactly how many such releases the ledger accepts for one fresh image', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dphl-cost-'));
  const ledger = openLedger(join(dir, 'ledger.sqlite'), { initialBudget: { epsilon: 3, delta: 1e-5 } });
  try {
    const budget = ledger.budget().budget;
    const cost = releaseCost({ epsilon: 1, delta: 1e-5, relation: ADD_REMOVE, manifest, budget });
    assert.equal(cost.budget.epsilon, 3);
    const plan = planRelease({ epsilon: epsilon(1), delta: delta(1e-5), clipNorm: clipNorm(manifest.dp.clipNorm), relation: ADD_REMOVE, dim: manifest.embeddingDim });
    const image = ledger.identify(new Uint8Array([1, 2, 3]), 1, 1, 3);
    const release = (n: number) => ledger.release({ imageIds: [image], params: { test: 'cost' }, releaseNumber: n, rho: plan.rhoTotal, compute: () => n });
    for (let n = 1; n <= cost.releasesPerFreshImage; n++) assert.equal((await release(n)).charged, true);
    await assert.rejects(release(cost.releasesPerFreshImage + 1), (e: unknown) => isDpError(e, 'BUDGET_EXHAUSTED'));
    assert.ok(cost.releasesPerFreshImage >= 2, 'zCDP composition: more than ε_budget/ε releases would be wrong, fewer than 2 at ε=1 of 3 too');
  } finally {
    ledger.close();
  }
});
