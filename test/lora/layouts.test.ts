// Checks the generated sd15/sdxl layouts against the tables of comfyui.md §3.4–3.5, transcribed here row by
// row (diffusers attention → C and number of transformer blocks), independently of src/lora/layouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SD15_LAYOUT } from '../../src/lora/layouts/sd15.js';
import { SDXL_LAYOUT } from '../../src/lora/layouts/sdxl.js';
import { referenceLayout } from '../../src/lora/layouts/reference.js';
import { resolveLayout } from '../../src/lora/layouts/resolve.js';
import type { LoraLayout } from '../../src/lora/layouts/layout.js';
import { isDpError } from '../../src/errors.js';

/** comfyui.md §3.4: diffusers attention, C; one BasicTransformerBlock each. */
const SD15_TABLE: Array<[string, number, number]> = [
  ['down_blocks.0.attentions.0', 320, 1], ['down_blocks.0.attentions.1', 320, 1],
  ['down_blocks.1.attentions.0', 640, 1], ['down_blocks.1.attentions.1', 640, 1],
  ['down_blocks.2.attentions.0', 1280, 1], ['down_blocks.2.attentions.1', 1280, 1],
  ['mid_block.attentions.0', 1280, 1],
  ['up_blocks.1.attentions.0', 1280, 1], ['up_blocks.1.attentions.1', 1280, 1], ['up_blocks.1.attentions.2', 1280, 1],
  ['up_blocks.2.attentions.0', 640, 1], ['up_blocks.2.attentions.1', 640, 1], ['up_blocks.2.attentions.2', 640, 1],
  ['up_blocks.3.attentions.0', 320, 1], ['up_blocks.3.attentions.1', 320, 1], ['up_blocks.3.attentions.2', 320, 1],
];

/** comfyui.md §3.5: where, C, blocks each. */
const SDXL_TABLE: Array<[string, number, number]> = [
  ['down_blocks.1.attentions.0', 640, 2], ['down_blocks.1.attentions.1', 640, 2],
  ['down_blocks.2.attentions.0', 1280, 10], ['down_blocks.2.attentions.1', 1280, 10],
  ['mid_block.attentions.0', 1280, 10],
  ['up_blocks.0.attentions.0', 1280, 10], ['up_blocks.0.attentions.1', 1280, 10], ['up_blocks.0.attentions.2', 1280, 10],
  ['up_blocks.1.attentions.0', 640, 2], ['up_blocks.1.attentions.1', 640, 2], ['up_blocks.1.attentions.2', 640, 2],
];

/** The expected module map (key → [out, in]) of a table, spelled out from the doc's shape rules. */
function expectedModules(table: Array<[string, number, number]>, context: number): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const [path, c, blocks] of table) {
    for (let b = 0; b < blocks; b++) {
      const base = `lora_unet_${path.replaceAll('.', '_')}_transformer_blocks_${b}`;
      for (const p of ['to_q', 'to_k', 'to_v', 'to_out_0']) out.set(`${base}_attn1_${p}`, [c, c]);
      out.set(`${base}_attn2_to_q`, [c, c]);
      out.set(`${base}_attn2_to_k`, [c, context]);
      out.set(`${base}_attn2_to_v`, [c, context]);
      out.set(`${base}_attn2_to_out_0`, [c, c]);
    }
  }
  return out;
}

function asMap(layout: LoraLayout): Map<string, [number, number]> {
  return new Map(layout.modules.map((m) => [m.key, [m.out, m.in]]));
}

test('sd15: 16 blocks, 128 modules, keys and [out, in] shapes equal the comfyui.md §3.4 table', () => {
  assert.equal(SD15_TABLE.reduce((a, r) => a + r[2], 0), 16);
  assert.equal(SD15_LAYOUT.modules.length, 128);
  assert.deepEqual(asMap(SD15_LAYOUT), expectedModules(SD15_TABLE, 768));
  assert.equal(new Set(SD15_LAYOUT.modules.map((m) => m.key)).size, 128, 'keys are unique');
});

test('sdxl: 70 blocks, 560 modules, keys and [out, in] shapes equal the comfyui.md §3.5 table', () => {
  assert.equal(SDXL_TABLE.reduce((a, r) => a + r[2], 0), 70);
  assert.equal(SDXL_LAYOUT.modules.length, 560);
  assert.deepEqual(asMap(SDXL_LAYOUT), expectedModules(SDXL_TABLE, 2048));
});

test('sd15: the worked examples of comfyui.md §3.4', () => {
  const m = asMap(SD15_LAYOUT);
  assert.deepEqual(m.get('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q'), [320, 320]);
  assert.deepEqual(m.get('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k'), [320, 768]);
  assert.deepEqual(m.get('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_out_0'), [320, 320]);
  assert.deepEqual(m.get('lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_v'), [1280, 768]);
  assert.equal(m.has('lora_unet_down_blocks_3_attentions_0_transformer_blocks_0_attn1_to_q'), false, 'down_blocks.3 has no attention');
  assert.equal(m.has('lora_unet_up_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q'), false, 'up_blocks.0 has no attention');
});

test('sdxl: per-C counts and context width', () => {
  const count = (c: number): number => SDXL_LAYOUT.modules.filter((m) => m.out === c).length;
  assert.equal(count(640), (2 * 2 + 3 * 2) * 8);
  assert.equal(count(1280), (2 * 10 + 10 + 3 * 10) * 8);
  const kv = SDXL_LAYOUT.modules.filter((m) => /_attn2_to_[kv]$/.test(m.key));
  assert.equal(kv.length, 140);
  assert.ok(kv.every((m) => m.in === 2048));
  assert.ok(SDXL_LAYOUT.modules.filter((m) => !/_attn2_to_[kv]$/.test(m.key)).every((m) => m.in === m.out));
});

test('reference layout: taken from the manifest, every problem reported', () => {
  const layout = referenceLayout([{ key: 'lora_unet_mid_attn_to_q', in: 64, out: 32 }]);
  assert.deepEqual(layout, { name: 'reference', modules: [{ key: 'lora_unet_mid_attn_to_q', in: 64, out: 32 }] });
  assert.throws(
    () => referenceLayout([{ key: 'a.b', in: 0, out: 2 }, { key: 'x', in: 1, out: 1.5 }, { key: 'x', in: 1, out: 1 }]),
    (e: unknown) => isDpError(e, 'PACK_INVALID') && e.message ===
      'the pack\'s LoRA module list is invalid: lora.modules[0].key "a.b" is not a kohya key (letters, digits, "_"); ' +
      'lora.modules[0].in is 0; it must be a positive integer; lora.modules[1].out is 1.5; it must be a positive integer; ' +
      'lora.modules[2].key "x" appears twice. Re-export the pack.',
  );
});

test('resolveLayout: sd15/sdxl manifests must equal the table exactly', () => {
  assert.equal(resolveLayout({ layout: 'sd15', modules: [...SD15_LAYOUT.modules].reverse() }), SD15_LAYOUT);
  assert.equal(resolveLayout({ layout: 'sdxl', modules: SDXL_LAYOUT.modules }), SDXL_LAYOUT);
  const changed = SD15_LAYOUT.modules.slice(1).map((m, i) => (i === 0 ? { ...m, in: 1024 } : m));
  changed.push({ key: 'lora_unet_extra', in: 1, out: 1 });
  assert.throws(
    () => resolveLayout({ layout: 'sd15', modules: changed }),
    (e: unknown) => isDpError(e, 'PACK_INCOMPATIBLE') && e.message ===
      'the pack declares lora.layout "sd15" but its 128 modules do not match the 128-module sd15 table: ' +
      'missing lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q; ' +
      'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_k is [out 320, in 1024], expected [out 320, in 320]; ' +
      'unexpected lora_unet_extra. Use a pack exported for this base model.',
  );
});

test('reference layout: an empty module list is refused', () => {
  assert.throws(() => referenceLayout([]), (e: unknown) => isDpError(e, 'PACK_INVALID')
    && e.message === 'the pack\'s LoRA module list is invalid: lora.modules is empty. Re-export the pack.');
});

test('resolveLayout: a wrong output width, a repeated key, and the cut after eight problems', () => {
  const wrongOut = SD15_LAYOUT.modules.map((m, i) => (i === 0 ? { ...m, out: 321 } : m));
  assert.throws(() => resolveLayout({ layout: 'sd15', modules: wrongOut }), (e: unknown) => isDpError(e, 'PACK_INCOMPATIBLE')
    && e.message.includes(': lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q is [out 321, in 320], expected [out 320, in 320]. Use'));
  const repeated = [...SD15_LAYOUT.modules, SD15_LAYOUT.modules[5]!];
  assert.throws(() => resolveLayout({ layout: 'sd15', modules: repeated }), (e: unknown) => isDpError(e, 'PACK_INCOMPATIBLE') && e.message ===
    'the pack declares lora.layout "sd15" but its 129 modules do not match the 128-module sd15 table: a key appears more than once. Use a pack exported for this base model.');
  const prefix = 'the pack declares lora.layout "sd15" but its ';
  const missing = (k: number): string[] => SD15_LAYOUT.modules.slice(0, k).map((m) => `missing ${m.key}`);
  assert.throws(() => resolveLayout({ layout: 'sd15', modules: SD15_LAYOUT.modules.slice(8) }), (e: unknown) => isDpError(e, 'PACK_INCOMPATIBLE')
    && e.message === `${prefix}120 modules do not match the 128-module sd15 table: ${missing(8).join('; ')}. Use a pack exported for this base model.`);
  assert.throws(() => resolveLayout({ layout: 'sd15', modules: SD15_LAYOUT.modules.slice(11) }), (e: unknown) => isDpError(e, 'PACK_INCOMPATIBLE')
    && e.message === `${prefix}117 modules do not match the 128-module sd15 table: ${missing(8).join('; ')}; and 3 more. Use a pack exported for this base model.`);
});
