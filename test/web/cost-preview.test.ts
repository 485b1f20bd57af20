/**
 * The compiled cost preview (web/js/cost-preview.js) in a stand-in of the frontend's legacy modules (reference/
 * comfyui.md §6: `app.registerExtension`, `ComfyWidgets.STRING`; the node API `getInputNode(slot)`, `inputs`,
 * `widgets` with `callback`; /scripts/api.js's `api.fetchApi`, which requests /api + route). fetchApi goes to a real local
 * HTTP server that records the body and answers as bridge/queries.py does (test/bridge/test_cost_route.py checks
 * that side against the real worker).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

const STAND_IN_APP = `export const app = { extensions: [], registerExtension(e) { this.extensions.push(e); } };\n`;
const STAND_IN_API = `export const api = { origin: '', fetchApi(route, init) { return fetch(this.origin + '/api' + route, init); } };\n`;
const STAND_IN_WIDGETS = `
export const ComfyWidgets = {
  STRING(node, inputName, inputData, app) {
    const element = { value: '', readOnly: false, placeholder: '' };
    const widget = { name: inputName, options: {}, element, get value() { return element.value; }, set value(v) { element.value = v; } };
    (node.widgets ??= []).push(widget);
    return { widget };
  },
};
`;

interface Widget { name: string; value: unknown; callback?: (v: unknown) => void; serialize?: boolean }
interface FakeNode { inputs: { name: string; from?: FakeNode }[]; widgets: Widget[]; getInputNode(slot: number): FakeNode | null; onNodeCreated?(): void }
interface Extension { name: string; beforeRegisterNodeDef(t: { prototype: object }, d: { name: string }): void }

/** Resolves once `check()` holds; polls every 20 ms, fails after `ms` (generous: a loaded machine only makes it slower). */
async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

function node(inputs: FakeNode['inputs'], widgets: Record<string, unknown>, proto: object = {}): FakeNode {
  const n = Object.create(proto) as FakeNode;
  n.inputs = inputs;
  n.widgets = Object.entries(widgets).map(([name, value]) => ({ name, value, callback: () => undefined }));
  n.getInputNode = (slot) => n.inputs[slot]?.from ?? null;
  return n;
}

test('Noisy Aggregate shows the cost from the upstream pack and its widgets, and refreshes when ε changes', async () => {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => { raw += c.toString(); });
    req.on('end', () => {
      const body = JSON.parse(raw) as { epsilon: number };
      bodies.push(body);
      res.writeHead(req.url === '/api/dp_hyperlora/cost' ? 200 : 404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ok: true, ui: { text: [`costs ε = ${body.epsilon}`, 'ledger: /x'] } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  assert.ok(addr !== null && typeof addr === 'object');
  try {
    const site = mkdtempSync(join(tmpdir(), 'dphl-frontend-'));
    mkdirSync(join(site, 'scripts'));
    writeFileSync(join(site, 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(site, 'scripts', 'app.js'), STAND_IN_APP);
    writeFileSync(join(site, 'scripts', 'widgets.js'), STAND_IN_WIDGETS);
    writeFileSync(join(site, 'scripts', 'api.js'), STAND_IN_API);
    cpSync(join(import.meta.dirname, '..', '..', 'web', 'js'), join(site, 'extensions', 'dp-hyperlora'), { recursive: true });
    await import(pathToFileURL(join(site, 'extensions', 'dp-hyperlora', 'cost-preview.js')).href);
    const { app } = (await import(pathToFileURL(join(site, 'scripts', 'app.js')).href)) as { app: { extensions: Extension[] } };
    const { api } = (await import(pathToFileURL(join(site, 'scripts', 'api.js')).href)) as { api: { origin: string } };
    api.origin = `http://127.0.0.1:${addr.port}`;
    assert.deepEqual(app.extensions.map((e) => e.name), ['dp-hyperlora.cost-preview']);
    const proto = {};
    app.extensions[0]!.beforeRegisterNodeDef({ prototype: proto }, { name: 'DPHyperLoRA_NoisyAggregate' });

    const loader = node([], { pack: 'my-style-pack' });
    const embed = node([{ name: 'pack', from: loader }], { folder: 'portraits' });
    const agg = node([{ name: 'embeddings', from: embed }], { epsilon: 1, delta: 1e-5, relation: 'add-remove', n_public: 0, release: 1 }, proto);
    agg.onNodeCreated?.();
    const box = agg.widgets.find((w) => w.name === 'dp_cost');
    assert.ok(box);
    assert.equal(box.serialize, false);
    await until('the first cost answer', () => box.value === 'costs ε = 1\nledger: /x');
    assert.deepEqual(bodies, [{ pack: 'my-style-pack', epsilon: 1, delta: 1e-5, relation: 'add-remove', n_public: 0 }]);
    assert.equal(box.value, 'costs ε = 1\nledger: /x');

    const eps = agg.widgets.find((w) => w.name === 'epsilon')!;
    eps.value = 4;
    eps.callback?.(4);
    await until('the refreshed cost', () => box.value === 'costs ε = 4\nledger: /x');
    assert.equal(box.value, 'costs ε = 4\nledger: /x');
    assert.equal(bodies.length, 2); // `release` and `folder` are not sent: only public release parameters and the pack

    const lonely = node([{ name: 'embeddings' }], { epsilon: 1, delta: 1e-5, relation: 'add-remove', n_public: 0, release: 1 }, proto);
    lonely.onNodeCreated?.();
    await until('the unconnected hint', () => /^Connect DP Embed/.test(String(lonely.widgets.find((w) => w.name === 'dp_cost')?.value)));
    assert.match(String(lonely.widgets.find((w) => w.name === 'dp_cost')?.value), /^Connect DP Embed/);
    assert.equal(bodies.length, 2);
  } finally {
    server.close();
  }
});
