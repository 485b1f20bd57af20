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
