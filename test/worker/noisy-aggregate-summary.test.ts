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
    receipt: { releaseId: 3, releaseNumber: 2, charged: over.charged, epsilonCharged: over.charged ? plan.epsilon : 0, remaining: { epsilon: 9.896, delta: 1e-5 } },
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

test('the exact lines of a repeated add-remove release and a charged replace-one release', () => {
  assert.deepEqual(aggregateSummary(releaseSummary(release({ charged: false, relation: 'add-remove' }), [WARNING])), [
    'release #2 · add-remove · ε = 0.9995, δ = 0.00001',
    'n: private, released only as a noisy count ≈ 13.2 (σ_count = 12.85)',
    'σ_sum = 4.264 (clip C = 1)',
    'ε charged: 0 (release #2 was already made; repeats are free)',
    'budget left after this release (most-spent image): ε = 9.896',
    `⚠ ${WARNING}`,
  ]);
  assert.deepEqual(aggregateSummary(releaseSummary(release({ charged: true, relation: 'replace-one' }), [])), [
    'release #2 · replace-one · ε = 2, δ = 0.000001',
    'n = 40 (declared public)',
    'σ_sum = 4.763 (clip C = 1)',
    'ε charged when release #2 was made: 2 (re-running it is free)',
    'budget left after this release (most-spent image): ε = 9.896',
  ]);
});

test('the structured summary carries exactly the public fields of the release', () => {
  const r = release({ charged: true, relation: 'add-remove' });
  assert.deepEqual(releaseSummary(r, []), {
    schema: 'dp-hyperlora.release-summary/1', releaseNumber: 2, relation: 'add-remove', epsilon: r.plan.epsilon, delta: 1e-5,
    count: { treatment: 'noisy-count', noisyCount: 13.2, sigmaCount: r.plan.sigmaCount }, sigmaSum: r.plan.sigmaSum, clipNorm: 1,
    charged: true, epsilonCharged: r.plan.epsilon, budgetLeftEpsilon: 9.896, warnings: [],
  });
});
