/**
 * Noisy Aggregate's summary: the structured summary (ui.dp_release) and the text lines (ui.text) come from the same
 * public DatasetRelease through the one formatter (web/src/extensions/dp-hyperlora/release-summary.ts). Every line
 * is compared, for both relations and for a charged and a repeated release.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregateSummary, releaseSummary } from '../../nodes/noisy-aggregate.js';
import { ADD_REMOVE, clipNorm, delta, epsilon, planRelease, replaceOne } from '../../src/dp/index.js';
import { publicDatasetEmbedding, type DatasetRelease } from '../../src/pack/release-embedding.js';
import { summaryLines, summaryText, summaryView, validateReleaseSummary } from '../../web/src/extensions/dp-hyperlora/release-summary.js';

const WARNING = 'at epsilon 1 the noise exceeds the trained range';

function release(over: { charged: boolean; relation: 'add-remove' | 'replace-one' }): DatasetRelease {
  const addRemove = over.relation === 'add-remove';
  const plan = addRemove
    ? planRelease({ epsilon: epsilon(1), delta: delta(1e-5), clipNorm: clipNorm(1), relation: ADD_REMOVE, dim: 8 })
    : planRelease({ epsilon: epsilon(2), delta: delta(1e-6), clipNorm: clipNorm(1), relation: replaceOne(40), dim: 8 });
  return {
    embedding: publicDatasetEmbedding(new Array<number>(8).fill(0.1)), noisyCount: addRemove ? 13.2 : null, plan,
    receipt: { releaseId: 3, releaseNumber: 2, charged: over.charged, epsilonCharged: over.charged ? plan.epsilon : 0, remaining: { epsilon: 9.896, delta: 1e-5, rho: 0.9 } },
  };
}

test('text lines = the shared formatter\'s lines + warnings, for every relation and charge state (all lines compared)', () => {
  for (const relation of ['add-remove', 'replace-one'] as const) {
    for (const charged of [true, false]) {
      const s = releaseSummary(release({ charged, relation }), [WARNING]);
      assert.deepEqual(validateReleaseSummary(s), []);
      assert.deepEqual(aggregateSummary(s), [...summaryLines(s), `⚠ ${WARNING}`]);
      // The frontend shows the same lines from the structured payload, warnings first.
      assert.equal(summaryText(summaryView({ dp_release: [s], text: aggregateSummary(s) })), [`⚠ ${WARNING}`, ...summaryLines(s)].join('\n'));
    }
  }
});

test('the exact lines of a repeated add-remove release and a charged replace-one release: plain words first, details last', () => {
  const repeat = release({ charged: false, relation: 'add-remove' });
  assert.deepEqual(aggregateSummary(releaseSummary(repeat, [WARNING], { budgetEpsilon: 10, releasesLeft: 9 })), [
    'privacy cost now: 0 (release #2 was already made; repeats are free) · about 9 more releases like this',
    'release #2: re-running it is free; a new release number, or any change of ε, δ, relation or images, spends budget again',
    'budget left for your most-used image: ε = 9.896 of your 10',
    'number of images: kept private; only a noisy count was released (≈ 13.2)',
    `details: add-remove · ε = 0.9995, δ = 0.00001 · σ_sum = 4.264, σ_count = 12.85 · C = 1 · ρ = ${Number(repeat.plan.rhoTotal.toPrecision(4))} (zCDP)`,
    `⚠ ${WARNING}`,
  ]);
  const one = release({ charged: true, relation: 'replace-one' });
  assert.deepEqual(aggregateSummary(releaseSummary(one, [], { budgetEpsilon: 10, releasesLeft: 1 })), [
    'privacy cost ε = 2 of your 10 per image · about 1 more release like this',
    'release #2: re-running it is free; a new release number, or any change of ε, δ, relation or images, spends budget again',
    'budget left for your most-used image: ε = 9.896 of your 10',
    'number of images: 40 (you declared it public)',
    `details: replace-one · ε = 2, δ = 0.000001 · σ_sum = 4.763 · C = 1 · ρ = ${Number(one.plan.rhoTotal.toPrecision(4))} (zCDP)`,
  ]);
});

test('the structured summary carries exactly the public fields of the release', () => {
  const r = release({ charged: true, relation: 'add-remove' });
  assert.deepEqual(releaseSummary(r, []), {
    schema: 'dp-hyperlora.release-summary/1', releaseNumber: 2, relation: 'add-remove', epsilon: r.plan.epsilon, delta: 1e-5,
    count: { treatment: 'noisy-count', noisyCount: 13.2, sigmaCount: r.plan.sigmaCount }, sigmaSum: r.plan.sigmaSum, clipNorm: 1,
    charged: true, epsilonCharged: r.plan.epsilon, budgetLeftEpsilon: 9.896, warnings: [], rho: r.plan.rhoTotal,
  });
  assert.deepEqual(releaseSummary(r, [], { budgetEpsilon: 10, releasesLeft: 7 }), { ...releaseSummary(r, []), budgetEpsilon: 10, releasesLeft: 7 });
});
