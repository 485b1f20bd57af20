import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { detectBaseModel } from '../../src/lora/detect-base.js';

interface KeyFixture {
  keys: string[];
  shapes: Record<string, number[]>;
}

/** Real state-dict keys from ComfyUI 0.3.64 (see test/fixtures/lora/README.md). */
function fixture(name: 'sd15' | 'sd21' | 'sdxl'): KeyFixture {
  const gz = readFileSync(new URL(`../fixtures/lora/unet-keys-${name}.json.gz`, import.meta.url));
  return JSON.parse(gunzipSync(gz).toString('utf8')) as KeyFixture;
}

const shapesOf = (f: KeyFixture): Map<string, number[]> => new Map(Object.entries(f.shapes));

test('real SD1.5 and SDXL MODEL keys are recognised, with and without shapes', () => {
  const sd15 = fixture('sd15');
  const sdxl = fixture('sdxl');
  assert.deepEqual(detectBaseModel(sd15.keys), { base: 'sd15', reason: 'all 128 attention projections of sd15 are present and none other' });
  assert.deepEqual(detectBaseModel(sdxl.keys), { base: 'sdxl', reason: 'all 560 attention projections of sdxl are present and none other' });
  assert.equal(detectBaseModel(sd15.keys, shapesOf(sd15)).base, 'sd15');
  assert.equal(detectBaseModel(sdxl.keys, shapesOf(sdxl)).base, 'sdxl');
});

test('keys without the diffusion_model. prefix (the UNet\'s own state dict) work too', () => {
  const keys = fixture('sdxl').keys.map((k) => k.slice('diffusion_model.'.length));
  assert.equal(detectBaseModel(keys).base, 'sdxl');
});

test('SD2.1 has SD1.5\'s key names: shapes tell it apart', () => {
  const sd21 = fixture('sd21');
  assert.equal(detectBaseModel(sd21.keys).base, 'sd15', 'names alone cannot separate SD2.1 from SD1.5');
  assert.deepEqual(detectBaseModel(sd21.keys, shapesOf(sd21)), {
    base: 'unknown',
    reason: 'the key names match sd15 but input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight is [320, 1024], not [320, 768]',
  });
});

test('partial, extended and unrelated key sets are unknown', () => {
  const sd15 = fixture('sd15').keys;
  const missing = sd15.filter((k) => k !== 'diffusion_model.output_blocks.11.1.transformer_blocks.0.attn2.to_v.weight');
  assert.deepEqual(detectBaseModel(missing), {
    base: 'unknown', reason: 'the model has 127 attention projections, matching neither sd15 (128) nor sdxl (560) exactly',
  });
  const extra = [...sd15, 'diffusion_model.input_blocks.1.1.transformer_blocks.1.attn1.to_q.weight'];
  assert.equal(detectBaseModel(extra).base, 'unknown');
  assert.deepEqual(detectBaseModel(['diffusion_model.double_blocks.0.img_attn.qkv.weight']), {
    base: 'unknown', reason: 'the model has no transformer attention projections (not an SD-family UNet)',
  });
  assert.equal(detectBaseModel([]).base, 'unknown');
});

test('the right number of projections under other names is unknown; one wrong output width too', () => {
  const sd15 = fixture('sd15');
  const renamed = sd15.keys.map((k) => (k === 'diffusion_model.output_blocks.11.1.transformer_blocks.0.attn2.to_v.weight'
    ? 'diffusion_model.input_blocks.1.1.transformer_blocks.1.attn1.to_q.weight' : k));
  assert.deepEqual(detectBaseModel(renamed), {
    base: 'unknown', reason: 'the model has 128 attention projections, matching neither sd15 (128) nor sdxl (560) exactly',
  });
  const shapes = shapesOf(sd15);
  const key = 'diffusion_model.input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight';
  shapes.set(key, [640, 320]);
  assert.deepEqual(detectBaseModel(sd15.keys, shapes), {
    base: 'unknown', reason: 'the key names match sd15 but input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight is [640, 320], not [320, 320]',
  });
});

test('the projection pattern: a key may start with transformer_blocks, block numbers may have two digits, nothing may follow .weight', () => {
  const one = { base: 'unknown', reason: 'the model has 1 attention projections, matching neither sd15 (128) nor sdxl (560) exactly' };
  const none = { base: 'unknown', reason: 'the model has no transformer attention projections (not an SD-family UNet)' };
  assert.deepEqual(detectBaseModel(['transformer_blocks.0.attn1.to_q.weight']), one);
  assert.deepEqual(detectBaseModel(['diffusion_model.middle_block.1.transformer_blocks.10.attn2.to_out.0.weight']), one);
  assert.deepEqual(detectBaseModel(['diffusion_model.middle_block.1.transformer_blocks.0.attn1.to_q.weight.bak']), none);
  assert.deepEqual(detectBaseModel(['diffusion_model.middle_block.1.xtransformer_blocks.0.attn1.to_q.weight']), none);
  assert.deepEqual(detectBaseModel(['diffusion_model.middle_block.1.transformer_blocks.x.attn1.to_q.weight']), none);
  assert.deepEqual(detectBaseModel(['diffusion_model.middle_block.1.transformer_blocks.0.attn3.to_q.weight']), none);
});
