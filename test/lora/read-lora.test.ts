/**
 * loraFromSafetensors on files that are almost a LoRA of the layout: wrong factor shapes, bad or disagreeing
 * alphas, tensors outside the layout, long problem lists. Files are written by our writer and parsed by our
 * reader, so each case is a real file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loraFromSafetensors } from '../../src/lora/read-lora.js';
import { parseSafetensors } from '../../src/lora/safetensors-reader.js';
import { serializeSafetensors, type SafetensorsInput } from '../../src/lora/safetensors-writer.js';
import { referenceLayout } from '../../src/lora/layouts/reference.js';
import { isDpError } from '../../src/errors.js';

const layout = referenceLayout([
  { key: 'lora_unet_a', in: 3, out: 2 },
  { key: 'lora_unet_b', in: 2, out: 2 },
]);

function t(name: string, shape: number[], first = 1): SafetensorsInput {
  const n = shape.reduce((a, d) => a * d, 1);
  return { name, dtype: 'F32', shape, values: Float32Array.from({ length: n }, (_, i) => first + i) };
}

const alpha = (key: string, value: number, shape: number[] = []): SafetensorsInput =>
  ({ name: `${key}.alpha`, dtype: 'F32', shape, values: new Float32Array(shape.length === 0 ? [value] : Array(shape[0]).fill(value)) });

/** The tensors of a valid rank-`r` LoRA of `layout`, without alphas. */
function factors(r: number): SafetensorsInput[] {
  return [
    t('lora_unet_a.lora_down.weight', [r, 3]), t('lora_unet_a.lora_up.weight', [2, r], 10),
    t('lora_unet_b.lora_down.weight', [r, 2], 20), t('lora_unet_b.lora_up.weight', [2, r], 30),
  ];
}

const read = (tensors: SafetensorsInput[]) => loraFromSafetensors(parseSafetensors(serializeSafetensors(tensors)), layout);

function refused(tensors: SafetensorsInput[], problems: string): void {
  assert.throws(() => read(tensors), (e: unknown) => isDpError(e, 'SAFETENSORS_INVALID') && e.message === `the file is not a reference LoRA ${problems}`);
}

test('a rank-1 LoRA reads back with its factors, their [r, in] / [out, r] dims, and its alpha', () => {
  const lora = read([...factors(1), alpha('lora_unet_a', 0.5), alpha('lora_unet_b', 0.5)]);
  assert.equal(lora.rank, 1);
  assert.equal(lora.alpha, 0.5);
  assert.deepEqual(Object.keys(lora.factors).sort(), ['lora_unet_a.lora_down.weight', 'lora_unet_a.lora_up.weight', 'lora_unet_b.lora_down.weight', 'lora_unet_b.lora_up.weight']);
  assert.deepEqual(lora.factors['lora_unet_a.lora_down.weight'], { data: Float32Array.of(1, 2, 3), dims: [1, 3] });
  assert.deepEqual(lora.factors['lora_unet_b.lora_up.weight'], { data: Float32Array.of(30, 31), dims: [2, 1] });
});

test('without alpha tensors the alpha is the rank (kohya\'s convention)', () => {
  const lora = read(factors(2));
  assert.deepEqual([lora.rank, lora.alpha], [2, 2]);
});

test('factor shapes: an extra axis, a wrong out width, a wrong rank each named', () => {
  const tensors = factors(2);
  tensors[0] = t('lora_unet_a.lora_down.weight', [2, 3, 1]);
  tensors[1] = t('lora_unet_a.lora_up.weight', [3, 2]);
  tensors[3] = t('lora_unet_b.lora_up.weight', [2, 3]);
  refused(tensors, '(3 problem(s)): lora_unet_a.lora_down.weight is [2, 3, 1], expected [2, 3]; lora_unet_a.lora_up.weight is [3, 2], expected [2, 2]; lora_unet_b.lora_up.weight is [2, 3], expected [2, 2]');
});

test('an alpha must be a positive finite 0-dim scalar, and all modules must agree on it', () => {
  for (const bad of [alpha('lora_unet_a', 0), alpha('lora_unet_a', -1), alpha('lora_unet_a', Number.NaN), alpha('lora_unet_a', 1, [1])]) {
    refused([...factors(2), bad], '(1 problem(s)): lora_unet_a.alpha must be a positive 0-dim scalar');
  }
  refused([...factors(2), alpha('lora_unet_a', 1), alpha('lora_unet_b', 2)], '(1 problem(s)): modules have different alphas (1, 2)');
  const six = referenceLayout(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => ({ key: `lora_unet_${k}`, in: 1, out: 1 })));
  const tensors = six.modules.flatMap((m, i) => [t(`${m.key}.lora_down.weight`, [1, 1]), t(`${m.key}.lora_up.weight`, [1, 1]), alpha(m.key, i + 1)]);
  assert.throws(() => loraFromSafetensors(parseSafetensors(serializeSafetensors(tensors)), six), (e: unknown) => isDpError(e, 'SAFETENSORS_INVALID')
    && e.message === 'the file is not a reference LoRA (1 problem(s)): modules have different alphas (1, 2, 3, 4)');
});

test('tensors outside the layout are named, five at most', () => {
  const extra = (k: number): SafetensorsInput[] => Array.from({ length: k }, (_, i) => t(`x${i}`, [1]));
  refused([...factors(2), ...extra(1)], '(1 problem(s)): tensors outside the reference layout: x0');
  refused([...factors(2), ...extra(5)], '(1 problem(s)): tensors outside the reference layout: x0, x1, x2, x3, x4');
  refused([...factors(2), ...extra(6)], '(1 problem(s)): tensors outside the reference layout: x0, x1, x2, x3, x4, …');
});

test('a file with nothing of the layout lists eight problems, then "…"', () => {
  refused([t('x0', [1])], '(6 problem(s)): missing lora_unet_a.lora_down.weight; missing lora_unet_a.lora_up.weight; missing lora_unet_b.lora_down.weight; ' +
    'missing lora_unet_b.lora_up.weight; tensors outside the reference layout: x0; the rank cannot be read from the first module\'s lora_down.weight');
  const wide = referenceLayout(['a', 'b', 'c', 'd', 'e'].map((k) => ({ key: `lora_unet_${k}`, in: 1, out: 1 })));
  const file = parseSafetensors(serializeSafetensors([t('x0', [1])]));
  assert.throws(() => loraFromSafetensors(file, wide), (e: unknown) => isDpError(e, 'SAFETENSORS_INVALID')
    && e.message.startsWith('the file is not a reference LoRA (12 problem(s)): missing lora_unet_a.lora_down.weight;')
    && e.message.endsWith('; missing lora_unet_d.lora_up.weight; …'));
  const eight = referenceLayout(['a', 'b', 'c'].map((k) => ({ key: `lora_unet_${k}`, in: 1, out: 1 })));
  assert.throws(() => loraFromSafetensors(file, eight), (e: unknown) => isDpError(e, 'SAFETENSORS_INVALID')
    && e.message.includes('(8 problem(s))')
    && e.message.endsWith('missing lora_unet_c.lora_up.weight; tensors outside the reference layout: x0; the rank cannot be read from the first module\'s lora_down.weight'));
});
