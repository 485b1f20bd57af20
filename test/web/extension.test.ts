/**
 * The compiled extension (web/js/dp-hyperlora.js), loaded the way the browser loads it from
 * /extensions/<plugin>/, next to a stand-in of the frontend's legacy modules /scripts/app.js and
 * /scripts/widgets.js written from reference/comfyui.md §6: `app.registerExtension`, and `ComfyWidgets.STRING`,
 * which adds a textarea DOM widget whose `value` is the textarea's text; and /scripts/api.js, the event target that
 * dispatches ComfyUI's /ws messages (`execution_error` with `detail` = the message's data, §4). The stand-in then
 * plays the frontend's part: beforeRegisterNodeDef for each node type, onNodeCreated, onExecuted with the `executed`
 * output, setup, and the graph's getNodeById.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

const STAND_IN_APP = `export const app = { extensions: [], graph: null, registerExtension(e) { this.extensions.push(e); } };\n`;
const STAND_IN_API = `export const api = new EventTarget();\n`;
const STAND_IN_WIDGETS = `
function textarea() {
  return { value: '', readOnly: false, placeholder: '', title: '', dataset: {}, style: { borderLeft: '', backgroundColor: '' } };
}
export const ComfyWidgets = {
  STRING(node, inputName, inputData, app) {
    if (!inputData[1]?.multiline || app === undefined) throw new Error('stand-in: multiline STRING with app only');
    const element = textarea();
    const widget = {
      name: inputName, type: 'customtext', element, options: {},
      get value() { return element.value; },
      set value(v) { element.value = v; },
    };
    (node.widgets ??= []).push(widget);
    return { widget };
  },
};
`;

interface Widget { name: string; value: string; serialize?: boolean; options: { serialize?: boolean }; element: { readOnly: boolean; placeholder: string; title: string; dataset: Record<string, string>; style: Record<string, string> } }
interface NodeProto { onNodeCreated?(): void; onExecuted?(output: unknown): void; widgets?: Widget[] }
interface Extension { name: string; beforeRegisterNodeDef(nodeType: { prototype: NodeProto }, nodeData: { name: string }): void; setup?(): void }
interface StandIns { app: { graph: { getNodeById(id: string | number): unknown } | null }; api: EventTarget }
let standIns: StandIns | undefined;

async function loadExtension(): Promise<Extension[]> {
  const site = mkdtempSync(join(tmpdir(), 'dphl-frontend-'));
  mkdirSync(join(site, 'scripts'));
  writeFileSync(join(site, 'package.json'), '{"type":"module"}\n'); // browsers load every extension file as an ES module
  writeFileSync(join(site, 'scripts', 'app.js'), STAND_IN_APP);
  writeFileSync(join(site, 'scripts', 'widgets.js'), STAND_IN_WIDGETS);
  writeFileSync(join(site, 'scripts', 'api.js'), STAND_IN_API);
  cpSync(join(import.meta.dirname, '..', '..', 'web', 'js'), join(site, 'extensions', 'dp-hyperlora'), { recursive: true });
  await import(pathToFileURL(join(site, 'extensions', 'dp-hyperlora', 'dp-hyperlora.js')).href);
  const { app } = (await import(pathToFileURL(join(site, 'scripts', 'app.js')).href)) as { app: { extensions: Extension[] } & StandIns['app'] };
  const { api } = (await import(pathToFileURL(join(site, 'scripts', 'api.js')).href)) as { api: EventTarget };
  standIns = { app, api };
  return app.extensions;
}

/** A node of a registered type, created as the frontend does (onNodeCreated on a fresh instance). */
function createNode(ext: Extension, type: string, ownCallbacks: NodeProto = {}): NodeProto & { calls: string[] } {
  const calls: string[] = [];
  const proto: NodeProto = {
    onNodeCreated() { calls.push('own onNodeCreated'); ownCallbacks.onNodeCreated?.(); },
    onExecuted() { calls.push('own onExecuted'); },
  };
  ext.beforeRegisterNodeDef({ prototype: proto }, { name: type });
  const node = Object.assign(Object.create(proto) as NodeProto, { calls });
  node.onNodeCreated?.();
  return node;
}

test('the compiled extension registers once and adds a read-only, non-serialised summary widget to DP nodes only', async () => {
  const extensions = await loadExtension();
  assert.deepEqual(extensions.map((e) => e.name), ['dp-hyperlora.summary']);
  const ext = extensions[0]!;

  const core = { prototype: {} as NodeProto };
  ext.beforeRegisterNodeDef(core, { name: 'KSampler' });
  assert.deepEqual(core.prototype, {});

  const aggregate = createNode(ext, 'DPHyperLoRA_NoisyAggregate');
  assert.deepEqual(aggregate.calls, ['own onNodeCreated']);
  const widget = aggregate.widgets?.[0];
  assert.ok(widget);
  assert.equal(aggregate.widgets?.length, 1);
  assert.equal(widget.name, 'dp_summary');
  assert.equal(widget.serialize, false); // not in the workflow's widgets_values
  assert.equal(widget.options.serialize, false); // not in the API prompt
  assert.equal(widget.element.readOnly, true);
  assert.equal(widget.value, '');
  assert.match(widget.element.placeholder, /what it cost \(ε out of each image's budget\), the budget left, how the number of images was treated/);

  const embed = createNode(ext, 'DPHyperLoRA_Embed');
  assert.equal(embed.widgets?.[0]?.element.placeholder, 'Status after a run.');
});

test('onExecuted shows the release summary, warnings first, and tints the box only while there is a warning', async () => {
  const ext = (await loadExtension())[0]!;
  const node = createNode(ext, 'DPHyperLoRA_NoisyAggregate');
  const widget = node.widgets![0]!;
  const warning = 'at epsilon 1 with a noisy image count of about 9, the noise on the mean embedding (0.474 C) exceeds the pack\'s trained range (max 0.252559 C), so the LoRA will be mostly noise; use at least 17 images at this epsilon, or a larger epsilon.';
  node.onExecuted?.({ text: ['release #1 · add-remove · ε = 1, δ = 0.00001', 'ε charged now: 0.9995', `⚠ ${warning}`] });
  assert.deepEqual(node.calls, ['own onNodeCreated', 'own onExecuted']);
  assert.equal(widget.value, `⚠ ${warning}\nrelease #1 · add-remove · ε = 1, δ = 0.00001\nε charged now: 0.9995`);
  assert.equal(widget.element.dataset.dpSeverity, 'warn');
  assert.equal(widget.element.style.borderLeft, '4px solid #e8a33d');
  assert.equal(widget.element.style.backgroundColor, 'rgba(232, 163, 61, 0.15)');

  node.onExecuted?.({ text: ['release #1 · add-remove · ε = 1, δ = 0.00001', 'ε charged now: 0 (repeat of a stored release)'] });
  assert.equal(widget.value, 'release #1 · add-remove · ε = 1, δ = 0.00001\nε charged now: 0 (repeat of a stored release)');
  assert.equal(widget.element.dataset.dpSeverity, 'ok');
  assert.equal(widget.element.style.borderLeft, '');
  assert.equal(widget.element.title, '');

  node.onExecuted?.({ images: [] }); // a payload with nothing to show clears the box rather than keeping stale numbers
  assert.equal(widget.value, '');
});

test('a failed run of a DP node replaces its summary with the error, tinted red; the next success clears it', async () => {
  const ext = (await loadExtension())[0]!;
  const node = createNode(ext, 'DPHyperLoRA_NoisyAggregate');
  const widget = node.widgets![0]!;
  const { app, api } = standIns!;
  app.graph = { getNodeById: (id) => (String(id) === '3' ? node : null) };
  ext.setup?.();
  node.onExecuted?.({ text: ['privacy cost ε = 0.05 of your 10 per image'] });
  const message = '[BUDGET_EXHAUSTED] release refused: it would charge ρ=47.93 (ε=92.99 at δ=0.00001) to every image of the set. Nothing was charged.\n';
  api.dispatchEvent(new CustomEvent('execution_error', { detail: { node_id: '3', node_type: 'DPHyperLoRA_NoisyAggregate', exception_message: message } }));
  assert.equal(widget.value, `✖ the last run failed, so no summary: ${message.trim()}`);
  assert.equal(widget.element.dataset.dpSeverity, 'error');
  assert.equal(widget.element.style.borderLeft, '4px solid #d9534f');

  api.dispatchEvent(new CustomEvent('execution_error', { detail: { node_id: '99', exception_message: 'another node failed' } }));
  assert.match(widget.value, /^✖ the last run failed, so no summary: \[BUDGET_EXHAUSTED\]/, 'an error on another node leaves this box alone');

  node.onExecuted?.({ text: ['privacy cost ε = 1 of your 10 per image'] });
  assert.equal(widget.value, 'privacy cost ε = 1 of your 10 per image');
  assert.equal(widget.element.dataset.dpSeverity, 'ok');
  assert.equal(widget.element.style.borderLeft, '');
});

const CACHED = '↻ taken from ComfyUI\'s cache this time: not run again, nothing charged. Its last status:';

test('after a failed or stopped run, DP nodes that did not run say so above their last status; cached and re-run ones do not', async () => {
  const ext = (await loadExtension())[0]!;
  const { app, api } = standIns!;
  const aggregate = Object.assign(createNode(ext, 'DPHyperLoRA_NoisyAggregate'), { id: 3 });
  const lora = Object.assign(createNode(ext, 'DPHyperLoRA_HypernetworkLoRA'), { id: 4 });
  const embed = Object.assign(createNode(ext, 'DPHyperLoRA_Embed'), { id: 2 });
  const fresh = Object.assign(createNode(ext, 'DPHyperLoRA_SaveLoRA'), { id: 5 });
  const removed = Object.assign(createNode(ext, 'DPHyperLoRA_LoadPack'), { id: 6 });
  const inGraph = new Map<string, unknown>([['2', embed], ['3', aggregate], ['4', lora], ['5', fresh]]);
  app.graph = { getNodeById: (id) => inGraph.get(String(id)) ?? null };
  ext.setup?.();
  const box = (n: NodeProto): Widget => n.widgets![0]!;
  embed.onExecuted?.({ text: ['embedded'] });
  aggregate.onExecuted?.({ text: ['privacy cost ε = 1 of your 10 per image'] });
  lora.onExecuted?.({ text: ['LoRA made from release #1'] });
  removed.onExecuted?.({ text: ['pack loaded'] });

  // Run 2: the embedding comes from the cache, Noisy Aggregate fails, the LoRA node never runs.
  api.dispatchEvent(new CustomEvent('execution_start', { detail: { prompt_id: 'p2' } }));
  api.dispatchEvent(new CustomEvent('execution_cached', { detail: { nodes: ['2'], prompt_id: 'p2' } }));
  api.dispatchEvent(new CustomEvent('executing', { detail: { node: '3', display_node: '3', prompt_id: 'p2' } }));
  api.dispatchEvent(new CustomEvent('execution_error', { detail: { node_id: '3', exception_message: '[EPSILON_TOO_SMALL] …' } }));
  assert.equal(box(lora).value, '⏸ not run this time (the run failed or was stopped before this node); its last status:\nLoRA made from release #1');
  assert.equal(box(lora).element.style.opacity, '0.6');
  assert.equal(box(embed).value, `${CACHED}\nembedded`, 'a cached node keeps its status, marked as taken from the cache');
  assert.match(box(aggregate).value, /^✖ the last run failed/);
  assert.equal(box(fresh).value, '', 'a node that never ran keeps its placeholder');
  assert.equal(box(removed).value, 'pack loaded', 'a node no longer in the graph is left alone');
  // A second bad end does not stack the label.
  api.dispatchEvent(new CustomEvent('execution_interrupted', { detail: { prompt_id: 'p2', node_id: '3' } }));
  assert.equal(box(lora).value.split('⏸').length, 2);

  // Run 3: everything runs; the LoRA box shows the new status, undimmed.
  api.dispatchEvent(new CustomEvent('execution_start', { detail: { prompt_id: 'p3' } }));
  api.dispatchEvent(new CustomEvent('executing', { detail: { node: '4', display_node: '4', prompt_id: 'p3' } }));
  lora.onExecuted?.({ text: ['LoRA made from release #2'] });
  assert.equal(box(lora).value, 'LoRA made from release #2');
  assert.equal(box(lora).element.style.opacity, '');
  // Stopped before Noisy Aggregate ran in run 4: its red failure text stays as it was (it is its last status).
  api.dispatchEvent(new CustomEvent('execution_start', { detail: { prompt_id: 'p4' } }));
  api.dispatchEvent(new CustomEvent('executing', { detail: { node: '4', display_node: '4', prompt_id: 'p4' } }));
  api.dispatchEvent(new CustomEvent('execution_interrupted', { detail: { prompt_id: 'p4', node_id: '4' } }));
  assert.equal(box(lora).value, 'LoRA made from release #2');
  assert.match(box(aggregate).value, /^⏸ not run this time[^\n]*\n✖ the last run failed/);
});

test('a node ComfyUI takes from its cache says so, once, above its last status; a page that never saw it run says what happened', async () => {
  const ext = (await loadExtension())[0]!;
  const { app, api } = standIns!;
  const aggregate = Object.assign(createNode(ext, 'DPHyperLoRA_NoisyAggregate'), { id: 3 });
  const lora = Object.assign(createNode(ext, 'DPHyperLoRA_HypernetworkLoRA'), { id: 4 });
  const core = { id: 9, widgets: [] as Widget[] };
  const inGraph = new Map<string, unknown>([['3', aggregate], ['4', lora], ['9', core]]);
  app.graph = { getNodeById: (id) => inGraph.get(String(id)) ?? null };
  ext.setup?.();
  const box = (n: NodeProto): Widget => n.widgets![0]!;
  aggregate.onExecuted?.({ text: ['privacy cost ε = 1 of your 10 per image'] });
  // A re-queue of the same prompt: ComfyUI lists every node as cached and sends no `executed` for ours (§2).
  for (let run = 0; run < 2; run += 1) {
    api.dispatchEvent(new CustomEvent('execution_start', { detail: { prompt_id: `p${run}` } }));
    api.dispatchEvent(new CustomEvent('execution_cached', { detail: { nodes: ['3', '4', '9'], prompt_id: `p${run}` } }));
  }
  assert.equal(box(aggregate).value, `${CACHED}\nprivacy cost ε = 1 of your 10 per image`, 'labelled once, not per re-queue');
  assert.match(box(lora).value, /^↻ taken from ComfyUI's cache: not run again, nothing charged\. The run that made this result/);
  assert.deepEqual(core.widgets, [], 'other nodes are left alone');
  // Stopped in a later run before Noisy Aggregate: one label, the not-run one, above the last status.
  api.dispatchEvent(new CustomEvent('execution_start', { detail: { prompt_id: 'p3' } }));
  api.dispatchEvent(new CustomEvent('execution_interrupted', { detail: { prompt_id: 'p3', node_id: '4' } }));
  assert.equal(box(aggregate).value, '⏸ not run this time (the run failed or was stopped before this node); its last status:\nprivacy cost ε = 1 of your 10 per image');
  // Cached again after that: the cache label replaces the not-run one.
  api.dispatchEvent(new CustomEvent('execution_start', { detail: { prompt_id: 'p4' } }));
  api.dispatchEvent(new CustomEvent('execution_cached', { detail: { nodes: ['3'], prompt_id: 'p4' } }));
  assert.equal(box(aggregate).value, `${CACHED}\nprivacy cost ε = 1 of your 10 per image`);
  assert.equal(box(aggregate).element.style.opacity, '');
  // A real run replaces the label with the new summary.
  aggregate.onExecuted?.({ text: ['privacy cost ε = 2 of your 10 per image'] });
  assert.equal(box(aggregate).value, 'privacy cost ε = 2 of your 10 per image');
});
