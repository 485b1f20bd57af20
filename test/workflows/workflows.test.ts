/**
 * Validates every example workflow against the workflow formats of reference/comfyui.md §5: UI files (schema,
 * link consistency in both directions, node types known, widget counts) and their API twins (equal to the
 * UI file converted the frontend's way, and valid against /object_info). Core node definitions come from a
 * capture of real ComfyUI 0.3.64 (test/comfy/fixtures/object_info.core.json); ours from the node manifest.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ALL_NODES } from '../../nodes/index.js';
import { declaredInputs, ObjectInfo, specOptions, typesMatch } from '../../src/comfy/object-info.js';
import { findPromptProblems } from '../../src/comfy/prompt-check.js';
import { uiToApi } from '../../src/comfy/ui-to-api.js';
import { ApiPrompt } from '../../src/comfy/workflow-api.js';
import { UiWorkflow, VIRTUAL_NODE_TYPES } from '../../src/comfy/workflow-ui.js';
import { nodeObjectInfo } from '../../src/worker/object-info.js';
import { EXAMPLE_CHECKPOINTS, EXAMPLE_CHOICES, EXAMPLE_CONDITIONING, EXAMPLE_FOLDERS, EXAMPLE_PACKS } from '../../scripts/workflow-specs.js';

const root = new URL('../../', import.meta.url);
const core = ObjectInfo.parse(JSON.parse(readFileSync(new URL('test/comfy/fixtures/object_info.core.json', root), 'utf8')));
/** ComfyUI_IPAdapter_plus's IPAdapterModelLoader and IPAdapterEmbeds, captured from a real ComfyUI 0.3.64. */
const ipadapter = ObjectInfo.parse(JSON.parse(readFileSync(new URL('test/comfy/fixtures/object_info.ipadapter-plus.json', root), 'utf8')));
const ours = Object.fromEntries(ALL_NODES.map((n) => [n.id, nodeObjectInfo(n, EXAMPLE_CHOICES)]));
const info = ObjectInfo.parse({ ...core, ...ipadapter, ...ours });
const dir = new URL('workflows/', root);
const names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
/** Dropdowns whose lists depend on what the user installed: the examples name placeholders. */
const MACHINE_SPECIFIC = new Set([
  ...Object.values(EXAMPLE_CHECKPOINTS), ...Object.values(EXAMPLE_PACKS), ...Object.values(EXAMPLE_FOLDERS), ...Object.values(EXAMPLE_CONDITIONING),
]);

function load(path: URL): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

test('there are the eight example workflows, each with an API twin', () => {
  assert.deepEqual(names, [
    '0-reference-demo.json', '1-sd15-not-yet-needs-an-sd15-pack.json', '2-sdxl-not-yet-needs-an-sdxl-pack.json', '3-save-dp-lora.json',
    '4-dp-ipadapter-sd15.json', '5-dp-ipadapter-sdxl.json', '6-dp-revision-sdxl.json', '7-build-conditioning-pack.json',
  ]);
  assert.deepEqual(readdirSync(new URL('api/', dir)).sort(), names);
});

for (const name of names) {
  test(`${name}: UI format, links consistent both ways, known core-or-our nodes, widget counts`, () => {
    const raw = load(new URL(name, dir)) as Record<string, unknown>;
    const wf = UiWorkflow.parse(raw);
    assert.equal(wf.version, 0.4);
    const nodes = new Map(wf.nodes.map((n) => [Number(n.id), n]));
    const linkIds = new Set<number>();
    for (const l of wf.links) {
      assert.ok(Array.isArray(l), 'version 0.4 links are 6-tuples');
      const [id, from, fromSlot, to, toSlot, type] = l;
      assert.ok(!linkIds.has(id), `link ${id} twice`);
      linkIds.add(id);
      const src = nodes.get(Number(from));
      const dst = nodes.get(Number(to));
      assert.ok(src && dst, `link ${id} joins missing nodes`);
      assert.equal(src.outputs?.[fromSlot]?.type, type, `link ${id}: origin slot type`);
      assert.ok((src.outputs?.[fromSlot] as { links?: number[] } | undefined)?.links?.includes(id), `link ${id}: origin does not list it`);
      assert.equal(dst.inputs?.[toSlot]?.link, id, `link ${id}: target input does not point back`);
      assert.ok(typeof type === 'string' && typesMatch(type, String(dst.inputs?.[toSlot]?.type)), `link ${id}: ${String(type)} into ${String(dst.inputs?.[toSlot]?.type)}`);
      assert.equal(info[src.type]?.output[fromSlot], type, `link ${id}: server output type`);
    }
    assert.ok(Number(raw.last_link_id) >= Math.max(0, ...linkIds) && Number(raw.last_node_id) >= Math.max(...nodes.keys()));
    for (const n of wf.nodes) {
      if (VIRTUAL_NODE_TYPES.has(n.type)) continue; // Note nodes: frontend only, never in the prompt
      const def = info[n.type];
      assert.ok(def, `${n.type} is neither a core node nor ours`);
      assert.ok(n.type.startsWith('DPHyperLoRA_') || n.type in core || n.type in ipadapter);
      for (const i of n.inputs ?? []) if (i.link != null) assert.ok(linkIds.has(i.link), `${n.type}.${i.name}: dangling link ${i.link}`);
      const linked = new Set((n.inputs ?? []).filter((i) => i.link != null).map((i) => i.name));
      const widgets = declaredInputs(def).filter((i) => i.isWidget && !linked.has(i.name));
      const extra = widgets.filter((w) => specOptions(w.spec).control_after_generate === true).length;
      assert.ok(Array.isArray(n.widgets_values), `${n.type}: widgets_values`);
      assert.equal(n.widgets_values.length, widgets.length + extra, `${n.type} (node ${n.id}): widget count`);
      for (const r of declaredInputs(def).filter((i) => i.required && !i.isWidget)) assert.ok(linked.has(r.name), `${n.type}.${r.name} is not connected`);
    }
  });

  test(`${name}: the API twin equals the UI file converted, and validates`, () => {
    const ui = UiWorkflow.parse(load(new URL(name, dir)));
    const api = ApiPrompt.parse(load(new URL(`api/${name}`, dir)));
    assert.deepEqual(api, uiToApi(ui, info));
    const problems = findPromptProblems(api, info).filter((p) => ![...MACHINE_SPECIFIC].some((v) => p.includes(`${JSON.stringify(v)} is not one of`)));
    assert.deepEqual(problems, []);
  });
}

/**
 * What ComfyUI's frontend puts in an API prompt for one UI node, read independently of src/comfy (no uiToApi,
 * no declaredInputs) and with node definitions as real ComfyUI 0.3.64 served them (the recorded /object_info
 * of core nodes, ComfyUI_IPAdapter_plus and this plugin), not our manifest: linked inputs become [origin id, origin slot] from the
 * links table; widget values are taken in input_order (required, then optional), skipping linked widgets and
 * the extra control_after_generate value that follows a seed widget; _meta.title is the node's title or the
 * served display name.
 */
const realOurs = (load(new URL('test/workflows/fixtures/object_info.dp-hyperlora.real.json', root)) as { object_info: Record<string, unknown> }).object_info;
const realCore = load(new URL('test/comfy/fixtures/object_info.core.json', root)) as Record<string, unknown>;
const realIpadapter = load(new URL('test/comfy/fixtures/object_info.ipadapter-plus.json', root)) as Record<string, unknown>;
type RealDef = { input: { required?: Record<string, unknown[]>; optional?: Record<string, unknown[]> }; input_order?: { required?: string[]; optional?: string[] }; display_name: string };
const WIDGET_TYPES = new Set(['INT', 'FLOAT', 'STRING', 'BOOLEAN', 'COMBO']);

function expectedApiNode(node: { id: number | string; type: string; title?: string; inputs?: { name: string; link?: number | null }[]; widgets_values?: unknown }, links: unknown[][]): unknown {
  const def = (realOurs[node.type] ?? realCore[node.type] ?? realIpadapter[node.type]) as RealDef | undefined;
  assert.ok(def, `${node.type}: not in the recorded /object_info of real ComfyUI`);
  const inputs: Record<string, unknown> = {};
  const linked = new Set<string>();
  for (const i of node.inputs ?? []) {
    if (i.link == null) continue;
    const l = links.find((x) => x[0] === i.link);
    assert.ok(l, `${node.type}.${i.name}: link ${i.link} missing`);
    inputs[i.name] = [String(l[1]), l[2]];
    linked.add(i.name);
  }
  const values = node.widgets_values as unknown[];
  let at = 0;
  for (const group of ['required', 'optional'] as const) {
    const names = def.input_order?.[group] ?? Object.keys(def.input[group] ?? {});
    for (const name of names) {
      const spec = def.input[group]?.[name] ?? [];
      const isWidget = Array.isArray(spec[0]) || WIDGET_TYPES.has(String(spec[0]));
      if (!isWidget || linked.has(name)) continue;
      inputs[name] = values[at++];
      if ((spec[1] as { control_after_generate?: boolean } | undefined)?.control_after_generate === true) at++;
    }
  }
  assert.equal(at, values.length, `${node.type} (node ${node.id}): widget values left over or missing`);
  return { class_type: node.type, inputs, _meta: { title: node.title ?? def.display_name } };
}

for (const name of names) {
  test(`${name}: the API twin equals an independent reading of the UI file against real ComfyUI's /object_info`, () => {
    const raw = load(new URL(name, dir)) as { nodes: { id: number; type: string; mode?: number }[]; links: unknown[][] };
    const api = load(new URL(`api/${name}`, dir)) as Record<string, unknown>;
    // Note nodes are drawn by the frontend only (it never puts them in a prompt, and no server defines them).
    const active = raw.nodes.filter((n) => (n.mode ?? 0) === 0 && n.type !== 'Note');
    assert.deepEqual(Object.keys(api).sort(), active.map((n) => String(n.id)).sort());
    for (const n of active) assert.deepEqual(api[String(n.id)], expectedApiNode(n, raw.links), `node ${n.id} (${n.type})`);
  });
}

test('the runs-anywhere workflows use only bundled resources; the SD ones name their placeholders', () => {
  for (const name of ['0-reference-demo.json', '3-save-dp-lora.json']) {
    const api = ApiPrompt.parse(load(new URL(`api/${name}`, dir)));
    assert.equal(api['1']?.inputs.pack, 'reference (bundled)');
    assert.equal(api['2']?.inputs.folder, 'demo-data/private-set (bundled)');
    assert.deepEqual(findPromptProblems(api, ObjectInfo.parse({ ...core, ...Object.fromEntries(ALL_NODES.map((n) => [n.id, nodeObjectInfo(n, {
      packs: ['reference (bundled)'], input_folders: ['demo-data/private-set (bundled)', '(none: use the images input)'],
    })])) })), []);
  }
  const sd15 = ApiPrompt.parse(load(new URL('api/1-sd15-not-yet-needs-an-sd15-pack.json', dir)));
  assert.equal(sd15['20']?.inputs.ckpt_name, 'v1-5-pruned-emaonly.safetensors');
  assert.deepEqual(sd15['4']?.inputs.model, ['20', 0]);
  assert.deepEqual(sd15['8']?.inputs.model, ['4', 0]);
});

test('Noisy Aggregate in every example that releases has no seed and release 1', () => {
  for (const name of names.filter((n) => n !== '7-build-conditioning-pack.json')) {
    const api = ApiPrompt.parse(load(new URL(`api/${name}`, dir)));
    const agg = Object.values(api).find((n) => n.class_type === 'DPHyperLoRA_NoisyAggregate');
    assert.ok(agg);
    assert.deepEqual(Object.keys(agg.inputs).sort(), ['delta', 'embeddings', 'epsilon', 'n_public', 'relation', 'release', 'too_few_images']);
    assert.equal(agg.inputs.release, 1);
  }
});

test('the Stable Diffusion route examples: CLIPVisionEncode feeds DP Embed (CLIP Vision) with the same IMAGE batch; DP Conditioning feeds the adapter', () => {
  for (const name of ['4-dp-ipadapter-sd15.json', '5-dp-ipadapter-sdxl.json', '6-dp-revision-sdxl.json']) {
    const api = ApiPrompt.parse(load(new URL(`api/${name}`, dir)));
    assert.deepEqual(api['33']?.inputs.clip_vision_output, ['32', 0]);
    assert.deepEqual(api['33']?.inputs.images, ['30', 0]);
    assert.deepEqual(api['32']?.inputs.image, ['30', 0]);
    assert.deepEqual(api['34']?.inputs.embeddings, ['33', 0]);
    assert.equal(api['33']?.inputs.pack, api['35']?.inputs.pack);
  }
  const ip = ApiPrompt.parse(load(new URL('api/4-dp-ipadapter-sd15.json', dir)));
  assert.deepEqual([ip['36']?.inputs.pos_embed, ip['36']?.inputs.neg_embed], [['35', 1], ['35', 2]]);
  const rev = ApiPrompt.parse(load(new URL('api/6-dp-revision-sdxl.json', dir)));
  assert.deepEqual(rev['37']?.inputs.clip_vision_output, ['35', 0]);
  const build = ApiPrompt.parse(load(new URL('api/7-build-conditioning-pack.json', dir)));
  assert.deepEqual(build['38']?.inputs.public_clip_vision_output, ['32', 0]);
});

test('our /object_info computed from the manifest equals what real ComfyUI 0.3.64 served for the plugin', () => {
  const real = (load(new URL('test/workflows/fixtures/object_info.dp-hyperlora.real.json', root)) as { object_info: Record<string, Record<string, unknown>> }).object_info;
  const choices = {
    packs: ((real.DPHyperLoRA_LoadHypernetwork as { input: { required: { pack: [string[]] } } }).input.required.pack[0]),
    input_folders: ((real.DPHyperLoRA_Embed as { input: { required: { folder: [string[]] } } }).input.required.folder[0]),
  };
  assert.deepEqual(Object.keys(real), ALL_NODES.map((n) => n.id));
  for (const n of ALL_NODES) {
    const served = real[n.id] ?? {};
    const mine = nodeObjectInfo(n, choices) as unknown as Record<string, unknown>;
    for (const key of Object.keys(mine)) assert.deepEqual(served[key], mine[key], `${n.id}.${key}`);
  }
});

test('every example explains itself: a Note per step, groups (the spend marked where there is one), titled DP nodes; the SD ones say they do not work yet', () => {
  for (const name of names) {
    const wf = UiWorkflow.parse(load(new URL(name, dir)));
    const raw = load(new URL(name, dir)) as { groups: { title: string }[]; extra: { info: { description: string } } };
    const notes = wf.nodes.filter((n) => n.type === 'Note').map((n) => String((n.widgets_values as unknown[] | undefined)?.[0] ?? ''));
    assert.ok(notes.length >= 4, `${name}: an overview Note and one per step`);
    assert.ok(notes.some((t) => t.includes('models/dp_private_sets')), `${name}: says where private folders go`);
    // Only a workflow with a Noisy Aggregate spends budget (7 builds a public pack): that one marks the spend, the others claim none.
    const spends = wf.nodes.some((n) => n.type === 'DPHyperLoRA_NoisyAggregate');
    assert.ok(raw.groups.length >= 3, `${name}: groups`);
    assert.equal(raw.groups.some((g) => g.title.includes('spends budget')), spends, `${name}: a group marks the spend exactly where Noisy Aggregate is`);
    for (const n of wf.nodes.filter((x) => x.type.startsWith('DPHyperLoRA_'))) assert.ok(n.title, `${name}: node ${n.id} has a friendly title`);
    const sd = name.startsWith('1-') || name.startsWith('2-');
    assert.ok(raw.extra.info.description.startsWith(sd ? 'NOT USABLE YET' : 'Works today'), `${name}: description states its status`);
    // The frontend validates extra.info as a whole (zInfo: seven required strings) and alerts on load otherwise.
    for (const key of ['name', 'author', 'description', 'version', 'created', 'modified', 'software']) {
      assert.equal(typeof (raw.extra.info as Record<string, unknown>)[key], 'string', `${name}: extra.info.${key} (the frontend's workflow schema requires it)`);
    }
    if (sd) assert.ok(notes.some((t) => t.includes('does not work yet') && t.includes('no such pack exists yet')));
  }
});

test('the reference demo shows base and DP-LoRA samples side by side from the same seed', () => {
  const api = ApiPrompt.parse(load(new URL('api/0-reference-demo.json', dir)));
  const samplers = Object.entries(api).filter(([, n]) => n.class_type === 'DPHyperLoRA_ReferenceSampler');
  assert.equal(samplers.length, 2);
  const [base, lora] = [...samplers].sort(([, a], [, b]) => Number(a.inputs.strength) - Number(b.inputs.strength));
  assert.ok(base && lora);
  assert.equal(base[1].inputs.strength, 0);
  assert.equal(lora[1].inputs.strength, 1);
  for (const k of ['seed', 'count', 'steps', 'upscale', 'lora', 'pack']) assert.deepEqual(base[1].inputs[k], lora[1].inputs[k], k);
  const previews = Object.values(api).filter((n) => n.class_type === 'PreviewImage').map((n) => n.inputs.images);
  assert.deepEqual(previews.sort(), [[base[0], 0], [lora[0], 0]].sort());
});
