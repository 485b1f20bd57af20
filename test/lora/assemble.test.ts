import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleLora, loraToSafetensors, type NamedFloatTensor } from '../../src/lora/assemble.js';
import { loraFromSafetensors } from '../../src/lora/read-lora.js';
import { parseSafetensors } from '../../src/lora/safetensors-reader.js';
import { decodeFloats } from '../../src/lora/dtype.js';
import { referenceLayout } from '../../src/lora/layouts/reference.js';
import { SD15_LAYOUT } from '../../src/lora/layouts/sd15.js';
import type { LoraLayout } from '../../src/lora/layouts/layout.js';
import { LORA_METADATA_SCHEMA, type LoraMetadata, metadataFromHeader } from '../../src/lora/metadata.js';
import { isDpError } from '../../src/errors.js';

const layout = referenceLayout([
  { key: 'lora_unet_a', in: 3, out: 2 },
  { key: 'lora_unet_b', in: 2, out: 2 },
]);

function tensor(dims: number[], start: number): NamedFloatTensor {
  const n = dims.reduce((a, d) => a * d, 1);
  return { dims, data: Float32Array.from({ length: n }, (_, i) => start + i) };
}

/** Outputs a hypernetwork of rank `rank` would give for `l`, with distinct deterministic values. */
function outputsFor(l: LoraLayout, rank: number): Record<string, NamedFloatTensor> {
  const out: Record<string, NamedFloatTensor> = {};
  l.modules.forEach((m, i) => {
    out[`${m.key}.lora_down.weight`] = tensor([rank, m.in], 100 * i);
    out[`${m.key}.lora_up.weight`] = tensor([m.out, rank], 100 * i + 50);
  });
  return out;
}

const metadata: LoraMetadata = {
  schema: LORA_METADATA_SCHEMA, mechanism: 'dp-deepsets-discrete-gaussian', relation: 'add-remove', countTreatment: 'noisy-count',
  epsilon: 2, delta: 1e-5, clipNorm: 1, sigmaSum: 3, sigmaCount: 6, releaseNumber: 1, packId: 'test-pack', packVersion: '0.0.1',
  layout: 'reference', rank: 2, alpha: 1, toolVersion: '0.1.0',
};

test('assembles factors and 0-dim alphas in layout order', () => {
  const tensors = assembleLora({ outputs: outputsFor(layout, 2), layout, rank: 2, alpha: 1 });
  assert.deepEqual(tensors.map((t) => [t.name, t.dtype, t.shape]), [
    ['lora_unet_a.lora_down.weight', 'F32', [2, 3]],
    ['lora_unet_a.lora_up.weight', 'F32', [2, 2]],
    ['lora_unet_a.alpha', 'F32', []],
    ['lora_unet_b.lora_down.weight', 'F32', [2, 2]],
    ['lora_unet_b.lora_up.weight', 'F32', [2, 2]],
    ['lora_unet_b.alpha', 'F32', []],
  ]);
  assert.deepEqual([...tensors[0]!.values], [0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...tensors[2]!.values], [1]);
});

test('to safetensors: readable back, metadata intact, F16 storage rounds values', () => {
  const bytes = loraToSafetensors({ outputs: outputsFor(layout, 2), layout, rank: 2, alpha: 1, metadata, dtype: 'F16' });
  const file = parseSafetensors(bytes);
  assert.deepEqual(metadataFromHeader(file.metadata ?? {}), metadata);
  const up = file.tensors.find((t) => t.name === 'lora_unet_b.lora_up.weight');
  assert.equal(up?.dtype, 'F16');
  assert.deepEqual([...decodeFloats(up!.bytes, 'F16')], [150, 151, 152, 153]);
  const alpha = file.tensors.find((t) => t.name === 'lora_unet_a.alpha');
  assert.deepEqual([alpha?.dtype, alpha?.shape, [...decodeFloats(alpha!.bytes, 'F32')]], ['F32', [], [1]]);
});

test('every problem is reported at once: missing, wrong shape, non-finite, extra', () => {
  const outputs = outputsFor(layout, 2);
  delete outputs['lora_unet_a.lora_up.weight'];
  outputs['lora_unet_b.lora_down.weight'] = tensor([2, 3], 0);
  outputs['lora_unet_b.lora_up.weight'] = { dims: [2, 2], data: Float32Array.of(0, NaN, 1, Infinity) };
  outputs['lora_unet_c.lora_up.weight'] = tensor([1, 1], 0);
  assert.throws(() => assembleLora({ outputs, layout, rank: 2, alpha: 1 }), (e: unknown) => isDpError(e, 'PACK_INVALID') && e.message ===
    'the hypernetwork\'s outputs do not form a valid reference LoRA of rank 2 (4 problem(s)): missing lora_unet_a.lora_up.weight; ' +
    'lora_unet_b.lora_down.weight has shape [2, 3], expected [2, 2]; lora_unet_b.lora_up.weight has a non-finite value at index 1; ' +
    'unexpected output(s) lora_unet_c.lora_up.weight. The pack is damaged or was exported for another layout.');
});

test('sd15: the full 128-module layout assembles into 384 tensors', () => {
  const tensors = assembleLora({ outputs: outputsFor(SD15_LAYOUT, 4), layout: SD15_LAYOUT, rank: 4, alpha: 4 });
  assert.equal(tensors.length, 384);
  const k = tensors.find((t) => t.name === 'lora_unet_up_blocks_3_attentions_2_transformer_blocks_0_attn2_to_k.lora_down.weight');
  assert.deepEqual(k?.shape, [4, 768]);
});

test('metadata that disagrees with the tensors is refused', () => {
  assert.throws(() => loraToSafetensors({ outputs: outputsFor(layout, 2), layout, rank: 2, alpha: 2, metadata }),
    (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') && e.message ===
      'LoRA metadata (layout reference, rank 2, alpha 1) disagrees with the tensors (layout reference, rank 2, alpha 2)');
  assert.throws(() => assembleLora({ outputs: {}, layout, rank: 0, alpha: 1 }),
    (e: unknown) => isDpError(e, 'PACK_INVALID') && e.message === 'LoRA rank 0 must be a positive integer');
});

test('loraFromSafetensors: reads back what loraToSafetensors wrote (any dtype); foreign files are refused', () => {
  const outputs = outputsFor(layout, 2);
  for (const dtype of ['F32', 'BF16'] as const) {
    const file = parseSafetensors(loraToSafetensors({ outputs, layout, rank: 2, alpha: 1, metadata, dtype }));
    const lora = loraFromSafetensors(file, layout);
    assert.equal(lora.rank, 2);
    assert.equal(lora.alpha, 1);
    assert.deepEqual(Object.keys(lora.factors).sort(), Object.keys(outputs).sort());
    assert.deepEqual([...lora.factors['lora_unet_a.lora_down.weight']!.data], [0, 1, 2, 3, 4, 5], 'small integers are exact in BF16 too');
  }
  const other = parseSafetensors(loraToSafetensors({ outputs: outputsFor(SD15_LAYOUT, 4), layout: SD15_LAYOUT, rank: 4, alpha: 4, metadata: { ...metadata, layout: 'sd15', rank: 4, alpha: 4 } }));
  assert.throws(() => loraFromSafetensors(other, layout), (e: unknown) => isDpError(e, 'SAFETENSORS_INVALID') &&
    e.message.startsWith('the file is not a reference LoRA (6 problem(s)): missing lora_unet_a.lora_down.weight; missing lora_unet_a.lora_up.weight; ') &&
    e.message.endsWith('; the rank cannot be read from the first module\'s lora_down.weight'));
});

test('alpha must be a positive finite number, and a rank that disagrees with the metadata is refused', () => {
  for (const alpha of [0, -1, Number.POSITIVE_INFINITY]) {
    assert.throws(() => assembleLora({ outputs: outputsFor(layout, 2), layout, rank: 2, alpha }),
      (e: unknown) => isDpError(e, 'PACK_INVALID') && e.message === `LoRA alpha ${alpha} must be a positive number`);
  }
  assert.throws(() => loraToSafetensors({ outputs: outputsFor(layout, 3), layout, rank: 3, alpha: 1, metadata }),
    (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') && e.message ===
      'LoRA metadata (layout reference, rank 2, alpha 1) disagrees with the tensors (layout reference, rank 3, alpha 1)');
});

test('long problem lists are cut: five unexpected names, then ten problems, each with "and N more"', () => {
  const extra: Record<string, NamedFloatTensor> = { ...outputsFor(layout, 2) };
  for (let i = 0; i < 7; i++) extra[`x${i}`] = tensor([1], 0);
  assert.throws(() => assembleLora({ outputs: extra, layout, rank: 2, alpha: 1 }), (e: unknown) => isDpError(e, 'PACK_INVALID')
    && e.message.includes('(1 problem(s)): unexpected output(s) x0, x1, x2, x3, x4 and 2 more.'));
  const many = referenceLayout(Array.from({ length: 6 }, (_, i) => ({ key: `lora_unet_m${i}`, in: 2, out: 2 })));
  assert.throws(() => assembleLora({ outputs: {}, layout: many, rank: 2, alpha: 1 }), (e: unknown) => isDpError(e, 'PACK_INVALID')
    && e.message.includes('(12 problem(s)): missing lora_unet_m0.lora_down.weight; ')
    && e.message.includes('missing lora_unet_m4.lora_up.weight; and 2 more. The pack'));
});

test('a factor whose dims drop an axis, whose values are not float32, or that is non-finite at index 0 is refused', () => {
  const outputs: Record<string, NamedFloatTensor> = outputsFor(layout, 2);
  // Six values fit [2, 3], but dims [2] (one axis dropped) is not that shape.
  outputs['lora_unet_a.lora_down.weight'] = { dims: [2], data: new Float32Array(6) };
  // A runtime caller (a pack reader) could hand over float64 values; they are refused, not silently narrowed.
  outputs['lora_unet_a.lora_up.weight'] = { dims: [2, 2], data: new Float64Array(4) as unknown as Float32Array };
  outputs['lora_unet_b.lora_down.weight'] = { dims: [2, 2], data: Float32Array.of(-Infinity, 0, 0, 0) };
  assert.throws(() => assembleLora({ outputs, layout, rank: 2, alpha: 1 }), (e: unknown) => isDpError(e, 'PACK_INVALID') && e.message ===
    'the hypernetwork\'s outputs do not form a valid reference LoRA of rank 2 (3 problem(s)): ' +
    'lora_unet_a.lora_down.weight has shape [2], expected [2, 3]; lora_unet_a.lora_up.weight is not float32; ' +
    'lora_unet_b.lora_down.weight has a non-finite value at index 0. The pack is damaged or was exported for another layout.');
});

test('metadata naming another layout than the tensors is refused', () => {
  assert.throws(() => loraToSafetensors({ outputs: outputsFor(layout, 2), layout, rank: 2, alpha: 1, metadata: { ...metadata, layout: 'sd15' } }),
    (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') && e.message ===
      'LoRA metadata (layout sd15, rank 2, alpha 1) disagrees with the tensors (layout reference, rank 2, alpha 1)');
});

test('lists at the limit are not cut: exactly five unexpected names, exactly ten problems; a data length off its dims', () => {
  const extra: Record<string, NamedFloatTensor> = { ...outputsFor(layout, 2) };
  for (let i = 0; i < 5; i++) extra[`x${i}`] = tensor([1], 0);
  assert.throws(() => assembleLora({ outputs: extra, layout, rank: 2, alpha: 1 }), (e: unknown) => isDpError(e, 'PACK_INVALID')
    && e.message.includes('(1 problem(s)): unexpected output(s) x0, x1, x2, x3, x4. The pack'));
  const five = referenceLayout(Array.from({ length: 5 }, (_, i) => ({ key: `lora_unet_m${i}`, in: 2, out: 2 })));
  assert.throws(() => assembleLora({ outputs: {}, layout: five, rank: 2, alpha: 1 }), (e: unknown) => isDpError(e, 'PACK_INVALID')
    && e.message.includes('(10 problem(s)): missing lora_unet_m0.lora_down.weight; ')
    && e.message.includes('missing lora_unet_m4.lora_up.weight. The pack'));
  const short = { ...outputsFor(layout, 2), 'lora_unet_a.lora_down.weight': { dims: [2, 3], data: new Float32Array(5) } };
  assert.throws(() => assembleLora({ outputs: short, layout, rank: 2, alpha: 1 }), (e: unknown) => isDpError(e, 'PACK_INVALID')
    && e.message.includes('(1 problem(s)): lora_unet_a.lora_down.weight holds 5 values for shape [2, 3]. The pack'));
});
