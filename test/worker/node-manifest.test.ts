import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ALL_NODES } from '../../nodes/index.js';
import { isDpError } from '../../src/errors.js';
import { buildNodeManifest, checkNodeDefinitions, nodeManifestText } from '../../src/worker/node-manifest.js';
import type { NodeDefinition } from '../../src/worker/node-definition.js';

const committed = readFileSync(new URL('../../nodes/manifest.json', import.meta.url), 'utf8');

test('the committed nodes/manifest.json equals the one generated from nodes/*.ts', () => {
  assert.equal(committed, nodeManifestText(ALL_NODES), 'run `npm run build:nodes` and commit nodes/manifest.json');
});

test('the manifest lists the eleven nodes with prefixed ids, one category and no execute code', () => {
  const m = buildNodeManifest(ALL_NODES);
  assert.deepEqual(m.nodes.map((n) => n.id), [
    'DPHyperLoRA_LoadHypernetwork', 'DPHyperLoRA_Embed', 'DPHyperLoRA_NoisyAggregate',
    'DPHyperLoRA_HypernetworkLoRA', 'DPHyperLoRA_SaveLoRA', 'DPHyperLoRA_ReferenceSampler',
    'DPHyperLoRA_BuildConditioningPack', 'DPHyperLoRA_LoadPrivateImages', 'DPHyperLoRA_EmbedClipVision', 'DPHyperLoRA_Conditioning', 'DPHyperLoRA_EmbedClipVisionPack',
  ]);
  // CLIP_VISION_OUTPUT inputs declare the fields the bridge sends (image_embeds only: not 2.6 GiB of hidden states).
  const fields = m.nodes.flatMap((n) => n.inputs).filter((i) => i.kind === 'SOCKET' && i.type === 'CLIP_VISION_OUTPUT').map((i) => i.kind === 'SOCKET' ? i.fields : undefined);
  assert.deepEqual(fields, [['image_embeds'], ['image_embeds'], ['image_embeds']]);
  assert.deepEqual(new Set(m.nodes.map((n) => n.category)), new Set(['DP HyperLoRA']));
  assert.equal(m.protocol, 1);
  assert.ok(!committed.includes('execute'));
});

test('every input and output has a tooltip and every node a description', () => {
  for (const n of ALL_NODES) {
    assert.ok(n.description.length > 40, n.id);
    for (const i of n.inputs) assert.ok(i.tooltip.length > 10, `${n.id}.${i.name}`);
    for (const o of n.outputs) assert.ok(o.tooltip.length > 10, `${n.id} ${o.name}`);
  }
});

test('Noisy Aggregate has no seed and no control_after_generate widget; the sampler seed has one', () => {
  const agg = ALL_NODES.find((n) => n.id === 'DPHyperLoRA_NoisyAggregate');
  assert.ok(agg);
  assert.ok(!agg.inputs.some((i) => i.name.includes('seed') || (i.kind === 'INT' && i.controlAfterGenerate === true)));
  assert.deepEqual(agg.inputs.map((i) => i.name), ['embeddings', 'epsilon', 'delta', 'relation', 'n_public', 'release', 'too_few_images']);
  const sampler = ALL_NODES.find((n) => n.id === 'DPHyperLoRA_ReferenceSampler');
  assert.ok(sampler?.inputs.some((i) => i.kind === 'INT' && i.name === 'seed' && i.controlAfterGenerate === true));
});

test('rule violations are all reported at once', () => {
  const bad = {
    ...ALL_NODES[0], id: 'Other_Node', category: 'misc', description: ' ',
    inputs: [{ kind: 'SOCKET', name: 'Bad-Name', type: 'IMAGE', tooltip: '', optional: true }, { kind: 'STRING', name: 'x', default: '', tooltip: 'x' }],
  } as unknown as NodeDefinition;
  assert.throws(() => checkNodeDefinitions([bad, bad]), (e: unknown) => isDpError(e, 'INTERNAL')
    && e.message === 'node definitions are invalid: Other_Node: id must start with DPHyperLoRA_; Other_Node: category must be "DP HyperLoRA"; '
      + 'Other_Node: description is empty; Other_Node: optional inputs must come after the required ones (ComfyUI shows them in that order); '
      + 'Other_Node.Bad-Name: input names are lower-case Python identifiers; Other_Node.Bad-Name: tooltip is empty; Other_Node: id used twice; '
      + 'Other_Node: id must start with DPHyperLoRA_; Other_Node: category must be "DP HyperLoRA"; Other_Node: description is empty; '
      + 'Other_Node: optional inputs must come after the required ones (ComfyUI shows them in that order); Other_Node.Bad-Name: input names are lower-case Python identifiers; '
      + 'Other_Node.Bad-Name: tooltip is empty');
});
