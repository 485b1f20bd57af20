/**
 * The fixed order of Noisy Aggregate's two display boxes (web/src/extensions/dp-hyperlora/widget-order.ts): the
 * cost box above the summary box, whichever extension added its box first; the node's own widgets stay in place.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { orderDisplayWidgets } from '../../web/src/extensions/dp-hyperlora/widget-order.js';

const names = (ws: { name: string }[]): string[] => ws.map((w) => w.name);

test('the summary added before the cost box ends up below it; the inputs keep their slots', () => {
  const widgets = ['epsilon', 'delta', 'release', 'dp_summary', 'dp_cost'].map((name) => ({ name }));
  orderDisplayWidgets(widgets);
  assert.deepEqual(names(widgets), ['epsilon', 'delta', 'release', 'dp_cost', 'dp_summary']);
});

test('already in order, one box only, or no widgets: nothing changes', () => {
  const ordered = ['epsilon', 'dp_cost', 'dp_summary'].map((name) => ({ name }));
  orderDisplayWidgets(ordered);
  assert.deepEqual(names(ordered), ['epsilon', 'dp_cost', 'dp_summary']);
  const one = ['pack', 'dp_summary'].map((name) => ({ name }));
  orderDisplayWidgets(one);
  assert.deepEqual(names(one), ['pack', 'dp_summary']);
  assert.doesNotThrow(() => orderDisplayWidgets(undefined));
});

test('a widget added after both boxes stays after them', () => {
  const widgets = ['epsilon', 'dp_summary', 'dp_cost', 'later'].map((name) => ({ name }));
  orderDisplayWidgets(widgets);
  assert.deepEqual(names(widgets), ['epsilon', 'dp_cost', 'dp_summary', 'later']);
});
