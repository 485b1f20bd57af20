/**
 * The Noisy Aggregate summary view (web/src/extensions/dp-hyperlora/release-summary.ts): the text the node body
 * shows for the worker's plain-text `ui.text`, for a structured `ui.dp_release`, and for malformed payloads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregateSummary } from '../../nodes/noisy-aggregate.js';
import {
  RELEASE_SUMMARY_SCHEMA, formatNumber, summaryText, summaryView, textLines, validateReleaseSummary, type ReleaseSummary,
} from '../../web/src/extensions/dp-hyperlora/release-summary.js';

const WARNING = 'at epsilon 1 with a noisy image count of about 9, the noise on the mean embedding (0.474 C) exceeds the pack\'s trained range (max 0.252559 C), so the LoRA will be mostly noise; use at least 17 images at this epsilon, or a larger epsilon.';

const TEXT = [
  'release #1 · add-remove · ε = 1, δ = 0.00001',
  'n: private, released only as a noisy count (≈ 9, σ_count = 12.85)',
  'σ_sum = 4.264 (clip C = 1)',
  'ε charged now: 0.9995',
  'budget left (most-spent image): ε = 8.75',
  `⚠ ${WARNING}`,
];

const STRUCTURED: ReleaseSummary = {
  schema: RELEASE_SUMMARY_SCHEMA, releaseNumber: 2, relation: 'add-remove', epsilon: 1, delta: 1e-5,
  count: { treatment: 'noisy-count', noisyCount: 9.4, sigmaCount: 12.8467 }, sigmaSum: 4.26412, clipNorm: 1,
  charged: false, epsilonCharged: 0, budgetLeftEpsilon: 8.75, warnings: [WARNING],
};

test('plain ui.text: lines shown verbatim, warnings first and marked', () => {
  const view = summaryView({ text: TEXT });
  assert.equal(view.source, 'text');
  assert.equal(view.warningCount, 1);
  assert.equal(summaryText(view), [`⚠ ${WARNING}`, ...TEXT.slice(0, 5)].join('\n'));
});

test('the worker\'s own summary lines (nodes/noisy-aggregate.ts) are shown unchanged, repeat included', () => {
  const s: ReleaseSummary = {
    schema: RELEASE_SUMMARY_SCHEMA, releaseNumber: 3, relation: 'replace-one', epsilon: 2, delta: 1e-6,
    count: { treatment: 'public-n', declaredN: 40 }, sigmaSum: 4.298, clipNorm: 1,
    charged: false, epsilonCharged: 0, budgetLeftEpsilon: 6.5, warnings: [],
  };
  const lines = aggregateSummary(s);
  const view = summaryView({ text: lines });
  assert.equal(view.warningCount, 0);
  assert.equal(summaryText(view), [
    'release #3 · replace-one · ε = 2, δ = 0.000001',
    'n = 40 (declared public)',
    'σ_sum = 4.298 (clip C = 1)',
    'ε charged: 0 (release #3 was already made; repeats are free)',
    'budget left after this release (most-spent image): ε = 6.5',
  ].join('\n'));
});

test('text entries: multi-line strings split, blanks and non-strings dropped, "warning:" prefix recognised', () => {
  assert.deepEqual(textLines(['a\nb\r\n', '', 7, null, '  ', 'Warning: low budget', '⚠️  x']), [
    { text: 'a', warning: false }, { text: 'b', warning: false },
    { text: 'low budget', warning: true }, { text: 'x', warning: true },
  ]);
  assert.deepEqual(textLines('not a list'), []);
});

test('structured ui.dp_release: formatted from the fields, "already made" when not charged', () => {
  const view = summaryView({ dp_release: [STRUCTURED], text: ['ignored when the structured summary is valid'] });
  assert.equal(view.source, 'structured');
  assert.equal(summaryText(view), [
    `⚠ ${WARNING}`,
    'release #2 · add-remove · ε = 1, δ = 0.00001',
    'n: private, released only as a noisy count ≈ 9.4 (σ_count = 12.85)',
    'σ_sum = 4.264 (clip C = 1)',
    'ε charged: 0 (release #2 was already made; repeats are free)',
    'budget left after this release (most-spent image): ε = 8.75',
  ].join('\n'));
  const charged = summaryView({ dp_release: [{ ...STRUCTURED, charged: true, epsilonCharged: 0.99953, warnings: [], count: { treatment: 'public-n', declaredN: 40 } }] });
  assert.deepEqual(charged.lines.slice(1, 4).map((l) => l.text), ['n = 40 (declared public)', 'σ_sum = 4.264 (clip C = 1)', 'ε charged when release #2 was made: 0.9995 (re-running it is free)']);
  assert.equal(charged.warningCount, 0);
});

test('validateReleaseSummary lists every problem at once', () => {
  assert.deepEqual(validateReleaseSummary(STRUCTURED), []);
  assert.deepEqual(validateReleaseSummary({
    schema: 'other', releaseNumber: 0, relation: 'swap', epsilon: -1, delta: 1, count: { treatment: 'noisy-count', sigmaCount: 0 },
    sigmaSum: Number.NaN, clipNorm: '1', charged: 'no', epsilonCharged: -0.1, warnings: [3],
  }), [
    `schema must be "${RELEASE_SUMMARY_SCHEMA}"`,
    'releaseNumber must be an integer ≥ 1',
    'relation must be "add-remove" or "replace-one"',
    'epsilon must be a number > 0',
    'delta must be a number in [0, 1)',
    'count.noisyCount must be a finite number',
    'count.sigmaCount must be a number > 0',
    'sigmaSum must be a number > 0',
    'clipNorm must be a number > 0',
    'charged must be a boolean',
    'epsilonCharged must be a number ≥ 0',
    'budgetLeftEpsilon must be a finite number',
    'warnings must be a list of strings',
  ]);
  assert.deepEqual(validateReleaseSummary({ ...STRUCTURED, count: { treatment: 'public-n', declaredN: 2.5 } }), ['count.declaredN must be an integer ≥ 1']);
  assert.deepEqual(validateReleaseSummary({ ...STRUCTURED, count: 'n' }), ['count must be an object']);
  assert.deepEqual(validateReleaseSummary([]), ['the summary must be an object']);
});

test('an invalid structured summary falls back to the text lines; nothing to show gives an empty view', () => {
  const bad = summaryView({ dp_release: [{ ...STRUCTURED, epsilon: 'one' }], text: ['ε charged now: 1'] });
  assert.equal(bad.source, 'text');
  assert.equal(summaryText(bad), 'ε charged now: 1');
  for (const output of [undefined, null, 'text', [], {}, { text: [] }, { dp_release: 'x' }]) {
    assert.deepEqual(summaryView(output), { lines: [], warningCount: 0, source: 'empty' });
  }
});

test('formatNumber keeps 4 significant digits like the worker', () => {
  assert.deepEqual([0.99953, 12.8467, 1e-5, 4, 123456].map(formatNumber), ['0.9995', '12.85', '0.00001', '4', '123500']);
});
