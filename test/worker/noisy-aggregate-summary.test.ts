import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregateSummary, releaseSummary } from '../../nodes/noisy-aggregate.js';
import type { DpLoraReport } from '../../src/pack/personalise.js';
import { summaryLines, validateReleaseSummary, type ReleaseSummary } from '../../web/src/extensions/dp-hyperlora/release-summary.js';

function report(over: { charged: boolean; relation: 'add-remove' | 'replace-one' }): DpLoraReport {
  const addRemove = over.relation === 'add-remove';
  return {
    privacy: {
      epsilon: 0.9995, delta: 1e-5, relation: over.relation, countTreatment: addRemove ? 'noisy-count' : 'public-n',
      clipNorm: 1, sigmaSum: 4.2641, rho: 0.01,
      ...(addRemove ? { sigmaCount: 12.85, noisyCount: 13.2 } : { declaredN: 40 }),
      noise: { trainedRange: { min: 0.0002, max: 0.35 }, smallestFittingN: 13 },
    },
    ledger: { path: '/l', releaseId: 3, releaseNumber: 2, charged: over.charged, epsilonCharged: over.charged ? 0.9995 : 0, remaining: { epsilon: 9.896, delta: 1e-5 } },
    warnings: ['at epsilon 1 the noise exceeds the trained range'],
  } as unknown as DpLoraReport;
}

test('the structured release summary is valid for the frontend and matches the text lines', () => {
  for (const relation of ['add-remove', 'replace-one'] as const) {
    for (const charged of [true, false]) {
      const r = report({ charged, relation });
      const s = releaseSummary(r);
      assert.deepEqual(validateReleaseSummary(s), []);
      assert.deepEqual(summaryLines(s as unknown as ReleaseSummary).slice(0, 1), aggregateSummary(r).slice(0, 1));
    }
  }
  assert.deepEqual(aggregateSummary(report({ charged: false, relation: 'add-remove' })), [
    'release #2 · add-remove · ε = 0.9995, δ = 0.00001',
    'n: private, released only as a noisy count (≈ 13.2, σ_count = 12.85)',
    'σ_sum = 4.264 (clip C = 1)',
    'ε charged: 0 (release #2 was already made; repeats are free)',
    'budget left after this release (most-spent image): ε = 9.896',
    '⚠ at epsilon 1 the noise exceeds the trained range',
  ]);
  assert.deepEqual(aggregateSummary(report({ charged: true, relation: 'replace-one' })).slice(1, 4), [
    'n = 40 (declared public, replace-one)', 'σ_sum = 4.264 (clip C = 1)', 'ε charged when release #2 was made: 0.9995 (re-running it is free)',
  ]);
});
