// training/sdpack/layouts.json (what the Python pack trainer targets) is generated from src/lora's tables and must
// be current; its modules are exactly SD15_LAYOUT / SDXL_LAYOUT, in order, with ComfyUI's ldm weight paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { layoutsJsonText, type LayoutJsonModule } from '../../src/lora/layouts/layouts-json.js';
import { SD15_LAYOUT, SDXL_LAYOUT } from '../../src/lora/index.js';

const file = fileURLToPath(new URL('../../training/sdpack/layouts.json', import.meta.url));

test('training/sdpack/layouts.json is current (node --import tsx scripts/export-lora-layouts.ts)', () => {
  assert.equal(readFileSync(file, 'utf8'), layoutsJsonText());
});

test('its modules are the fixed layouts, in order, with ldm weight paths', () => {
  const parsed = JSON.parse(layoutsJsonText()) as Record<string, LayoutJsonModule[]>;
  for (const layout of [SD15_LAYOUT, SDXL_LAYOUT]) {
    const mods = parsed[layout.name] ?? [];
    assert.deepEqual(mods.map(({ key, in: i, out }) => ({ key, in: i, out })), layout.modules.map(({ key, in: i, out }) => ({ key, in: i, out })));
  }
  const first = parsed.sd15?.[0];
  assert.deepEqual(first, {
    key: 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q',
    weight: 'input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight', in: 320, out: 320,
  });
  assert.equal(parsed.sd15?.find((m) => m.key.endsWith('up_blocks_3_attentions_2_transformer_blocks_0_attn2_to_k'))?.weight,
    'output_blocks.11.1.transformer_blocks.0.attn2.to_k.weight');
  assert.equal(parsed.sdxl?.length, 560);
});
