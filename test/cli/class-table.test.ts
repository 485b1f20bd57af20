import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatClassMix, roundHistogram } from '../../src/cli/class-table.js';

const mix = {
  names: ['T-shirt/top', 'Trouser', 'Bag', 'Ankle boot'],
  set: [0.5, 0.25, 0.25, 0],
  base: [0.25, 0.25, 0.25, 0.25],
  lora: [0.4, 0.3, 0.3, 0.001],
  klBase: 0.6,
  klLora: 0.15,
};

test('the class table has a row per used class with the three percentages and both KLs with their ratio', () => {
  const lines = formatClassMix(mix).split('\n');
  assert.equal(lines.length, 1 + 1 + 4 + 1);
  assert.match(lines[1] ?? '', /^class\s+set\s+base\s+DP LoRA/);
  assert.equal(lines[2], 'T-shirt/top    50.0%    25.0%    40.0%  ######...... #####.......');
  assert.equal(lines[5], 'Ankle boot      0.0%    25.0%     0.1%  ............ ............');
  assert.equal(lines[6], 'KL(set ‖ samples): base 0.600, with DP LoRA 0.150 (0.25 × base); lower is closer to the set');
});

test('classes that nobody uses are left out, and a zero base KL prints no ratio', () => {
  const text = formatClassMix({ ...mix, base: [0.5, 0.25, 0.25, 0], lora: [0.5, 0.25, 0.25, 0.004], klBase: 0, klLora: 0 });
  assert.doesNotMatch(text, /Ankle boot/);
  assert.match(text, /base 0\.000, with DP LoRA 0\.000; lower/);
});

test('histograms are rounded to 4 decimals for the report', () => {
  assert.deepEqual(roundHistogram([0.123456, 0.87654, 0]), [0.1235, 0.8765, 0]);
});
