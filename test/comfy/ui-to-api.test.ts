import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ObjectInfo } from '../../src/comfy/object-info.js';
import { findPromptProblems } from '../../src/comfy/prompt-check.js';
import { uiToApi } from '../../src/comfy/ui-to-api.js';
import { parseWorkflow } from '../../src/comfy/workflow-load.js';
import { DpHyperLoraError } from '../../src/errors.js';

// Node definitions recorded from ComfyUI 0.3.64's /object_info.
const info = ObjectInfo.parse(JSON.parse(readFileSync(new URL('./fixtures/object_info.real-0.3.64.json', import.meta.url), 'utf8')));
const ckpt = 'v1-5-pruned-emaonly.safetensors';
info.CheckpointLoaderSimple!.input.required!.ckpt_name![0] = [ckpt];

/** The frontend's default graph (ids, links and widget values as it saves them), in UI format 0.4. */
function defaultGraph(): Record<string, unknown> {
  const node = (id: number, type: string, inputs: [string, string, number | null][], widgets: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> =>
    ({ id, type, pos: [0, 0], size: [1, 1], flags: {}, order: id, mode: 0, inputs: inputs.map(([name, t, link]) => ({ name, type: t, link })), outputs: [], properties: {}, widgets_values: widgets, ...extra });
  return {
    last_node_id: 9, last_link_id: 9, version: 0.4, groups: [], config: {}, extra: {},
    nodes: [
      node(3, 'KSampler', [['model', 'MODEL', 1], ['positive', 'CONDITIONING', 4], ['negative', 'CONDITIONING', 6], ['latent_image', 'LATENT', 2]], [156680208700286, 'randomize', 20, 8, 'euler', 'normal', 1]),
      node(4, 'CheckpointLoaderSimple', [], [ckpt]),
      node(5, 'EmptyLatentImage', [], [512, 512, 1]),
      node(6, 'CLIPTextEncode', [['clip', 'CLIP', 3]], ['beautiful scenery nature glass bottle landscape']),
      node(7, 'CLIPTextEncode', [['clip', 'CLIP', 5]], ['text, watermark']),
      node(8, 'VAEDecode', [['samples', 'LATENT', 7], ['vae', 'VAE', 8]], []),
      node(9, 'SaveImage', [['images', 'IMAGE', 9]], ['ComfyUI'], { title: 'Save' }),
    ],
    links: [[1, 4, 0, 3, 0, 'MODEL'], [2, 5, 0, 3, 3, 'LATENT'], [3, 4, 1, 6, 0, 'CLIP'], [4, 6, 0, 3, 1, 'CONDITIONING'], [5, 4, 1, 7, 0, 'CLIP'],
      [6, 7, 0, 3, 2, 'CONDITIONING'], [7, 3, 0, 8, 0, 'LATENT'], [8, 4, 2, 8, 1, 'VAE'], [9, 8, 0, 9, 0, 'IMAGE']],
  };
}

function convert(ui: unknown): ReturnType<typeof uiToApi> {
  const wf = parseWorkflow(ui, 'test workflow');
  assert.equal(wf.format, 'ui');
  return uiToApi((wf as { workflow: Parameters<typeof uiToApi>[0] }).workflow, info);
}

test('the default graph converts to the API prompt "Export (API)" gives (seed control value skipped)', () => {
  const api = convert(defaultGraph());
  assert.deepEqual(api['3'], { class_type: 'KSampler', _meta: { title: 'KSampler' }, inputs: {
    seed: 156680208700286, steps: 20, cfg: 8, sampler_name: 'euler', scheduler: 'normal', denoise: 1,
    model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] } });
  assert.deepEqual(api['5']?.inputs, { width: 512, height: 512, batch_size: 1 });
  assert.deepEqual(api['8']?.inputs, { samples: ['3', 0], vae: ['4', 2] });
  assert.deepEqual(api['9'], { class_type: 'SaveImage', _meta: { title: 'Save' }, inputs: { filename_prefix: 'ComfyUI', images: ['8', 0] } });
  assert.deepEqual(findPromptProblems(api, info), []);
});

test('Reroutes are followed, bypassed nodes pass their same-type input through, muted nodes and Notes are dropped', () => {
  const ui = {
    nodes: [
      { id: 1, type: 'LoadImage', mode: 0, inputs: [], widgets_values: ['example.png', 'image'] },
      { id: 2, type: 'Reroute', mode: 0, inputs: [{ name: '', type: '*', link: 1 }] },
      { id: 3, type: 'ImageInvert', mode: 4, inputs: [{ name: 'image', type: 'IMAGE', link: 2 }], outputs: [{ name: 'IMAGE', type: 'IMAGE' }] },
      { id: 4, type: 'SaveImage', mode: 0, inputs: [{ name: 'images', type: 'IMAGE', link: 3 }], widgets_values: ['out'] },
      { id: 5, type: 'PreviewImage', mode: 2, inputs: [{ name: 'images', type: 'IMAGE', link: 4 }] },
      { id: 6, type: 'Note', mode: 0, widgets_values: ['hello'] },
    ],
    links: [[1, 1, 0, 2, 0, 'IMAGE'], [2, 2, 0, 3, 0, 'IMAGE'], [3, 3, 0, 4, 0, 'IMAGE'], [4, 1, 0, 5, 0, 'IMAGE']],
    version: 0.4,
  };
  assert.deepEqual(convert(ui), {
    1: { class_type: 'LoadImage', inputs: { image: 'example.png' }, _meta: { title: 'Load Image' } },
    4: { class_type: 'SaveImage', inputs: { filename_prefix: 'out', images: ['1', 0] }, _meta: { title: 'Save Image' } },
  });
});

test('a PrimitiveNode feeding a converted widget becomes a literal; version-1 link objects work too', () => {
  const ui = {
    version: 1, state: { lastNodeId: 3 },
    nodes: [
      { id: 1, type: 'EmptyImage', mode: 0, inputs: [{ name: 'width', type: 'INT', link: 7, widget: { name: 'width' } }], widgets_values: [10, 20, 2, 0] },
      { id: 2, type: 'PrimitiveNode', mode: 0, outputs: [{ type: 'INT' }], widgets_values: [640, 'fixed'] },
      { id: 3, type: 'SaveImage', mode: 0, inputs: [{ name: 'images', type: 'IMAGE', link: 8 }], widgets_values: ['p'] },
    ],
    links: [{ id: 7, origin_id: 2, origin_slot: 0, target_id: 1, target_slot: 0, type: 'INT' }, { id: 8, origin_id: 1, origin_slot: 0, target_id: 3, target_slot: 0, type: 'IMAGE' }],
  };
  const api = convert(ui);
  assert.deepEqual(api['1']?.inputs, { width: 640, height: 20, batch_size: 2, color: 0 });
  assert.deepEqual(Object.keys(api), ['1', '3']);
});

test('unknown node types and subgraphs are reported with what to do', () => {
  const ui = { nodes: [{ id: 1, type: 'MyCustomNode', mode: 0 }, { id: 2, type: 'OtherNode' }], links: [] };
  assert.throws(() => convert(ui), (e: unknown) => e instanceof DpHyperLoraError && e.code === 'WORKFLOW_INVALID' &&
    e.message === 'the UI workflow uses node types the server does not have: node 1 (MyCustomNode), node 2 (OtherNode). Install those custom nodes on the server, or export the workflow in API format.');
  assert.throws(() => convert({ nodes: [], links: [], definitions: { subgraphs: [{}] } }), (e: unknown) => e instanceof DpHyperLoraError &&
    e.message === 'the UI workflow uses subgraphs, which batch cannot flatten; in ComfyUI use "Export (API)" and pass that file instead.');
});

test('files that are neither format are rejected naming the problems', () => {
  assert.throws(() => parseWorkflow({ '1': { inputs: {} } }, 'the workflow file'), (e: unknown) => e instanceof DpHyperLoraError && e.code === 'WORKFLOW_INVALID' &&
    e.message === 'the workflow file is not a ComfyUI workflow: neither UI format (no nodes/links) nor API format: 1.class_type: Invalid input: expected string, received undefined. Pass a file saved from ComfyUI ("Save" for UI format, or "Export (API)").');
});

test('the pre-check lists every problem of an API prompt at once', () => {
  const problems = findPromptProblems({
    1: { class_type: 'ImageScale', inputs: { image: ['9', 0], upscale_method: 'bogus', width: 99999, crop: 'disabled' } },
    2: { class_type: 'SaveImage', inputs: { images: ['1', 3], filename_prefix: 'x' } },
    3: { class_type: 'Nope', inputs: {} },
  }, info);
  assert.deepEqual(problems, [
    'node "1" (ImageScale) input "image": linked to node "9", which is not in the workflow',
    'node "1" (ImageScale) input "upscale_method": "bogus" is not one of the server\'s choices ("nearest-exact", "bilinear", "area", "bicubic", "lanczos")',
    'node "1" (ImageScale) input "width": 99999 is bigger than the maximum 16384',
    'node "1" (ImageScale) input "height": required input is missing',
    'node "2" (SaveImage) input "images": linked to output 3 of node "1" (ImageScale), which has 1 output(s)',
    'node "3": class_type Nope is not installed on the server',
  ]);
});
