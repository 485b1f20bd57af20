/**
 * The frontend extension (web/js) and the example workflows in a real browser: a real ComfyUI serving a built
 * frontend with this plugin in custom_nodes/, driven by a headless Chromium through puppeteer-core (nothing
 * downloads a browser). It reads what the user sees through the DOM and, where the canvas cannot be read as DOM,
 * through `window.app` (page-probes.js), and asserts:
 * - the page loads with our three extensions and no extension hook throws;
 * - the node library lists the DP HyperLoRA category with every node of nodes/manifest.json;
 * - every example workflow loads without a validation alert (4 and 5 may miss only IPAdapter_plus's two nodes);
 * - the reference workflow loads from the plugin's templates with no validation alert, its cost box filled;
 * - queued as shipped it runs; with ε too small for the set, Noisy Aggregate's summary puts the warning first, tinted;
 * - a release over the budget fails on Noisy Aggregate with [BUDGET_EXHAUSTED], shown in the error dialog and, in
 *   place of the previous release's summary, in the node's box; Hypernetwork LoRA's box says it did not run;
 * - nothing the page shows or holds names an image of the private set.
 *
 * Needs COMFYUI_URL (e.g. http://127.0.0.1:8252; that ComfyUI spends privacy budget from its own ledger, so give it
 * a scratch DP_HYPERLORA_LEDGER with the default budget ε = 10) and CHROMIUM (a Chromium binary, e.g.
 * /usr/bin/chromium); without them every test is skipped and says why. SCREENSHOTS_DIR, when set, receives the
 * PNGs of docs/frontend.md. How to start it all: docs/frontend.md.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import sharp from 'sharp';
import { z } from 'zod';

const root = join(import.meta.dirname, '..', '..');
const COMFYUI_URL = process.env.COMFYUI_URL;
const CHROMIUM = process.env.CHROMIUM;
const SCREENSHOTS_DIR = process.env.SCREENSHOTS_DIR;
const missing = [COMFYUI_URL ? '' : 'COMFYUI_URL (a real ComfyUI serving a built frontend)', CHROMIUM ? '' : 'CHROMIUM (a Chromium binary)'].filter(Boolean);
const skip = missing.length > 0 ? `needs ${missing.join(' and ')}; see docs/frontend.md` : false;

const CATEGORY = 'DP HyperLoRA';
const AGGREGATE = '3'; // Noisy Aggregate's id in workflows/0-reference-demo.json
const HYPERNETWORK_LORA = '4'; // Hypernetwork LoRA's id there
const RUN_TIMEOUT_MS = 300_000;
const manifest = z.object({ nodes: z.array(z.object({ displayName: z.string(), category: z.string() })) })
  .parse(JSON.parse(readFileSync(join(root, 'nodes', 'manifest.json'), 'utf8')));
const templates = readdirSync(join(root, 'workflows')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
const privateNames = readdirSync(join(root, 'demo-data', 'private-set')).filter((f) => f.endsWith('.png'));

const Boxes = z.object({ order: z.array(z.string()), summary: z.string().nullable(), severity: z.string().nullable(), tinted: z.boolean(), cost: z.string().nullable() });
const Outcome = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success') }),
  z.object({ status: z.literal('error'), nodeId: z.string(), nodeType: z.string(), message: z.string() }),
  z.object({ status: z.literal('timeout') }),
]);

let browser: Browser | undefined;
let page: Page;
const pageErrors: string[] = [];

/** Runs one probe of page-probes.js in the page and validates its JSON answer. */
async function probe<T>(schema: z.ZodType<T>, name: string, ...args: unknown[]): Promise<T> {
  const call = `window.dpProbes.${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`;
  return schema.parse(await page.evaluate(call));
}

/** Polls a probe until `ok` holds for its answer (the frontend updates widgets asynchronously). */
async function probeUntil<T>(schema: z.ZodType<T>, ok: (v: T) => boolean, name: string, ...args: unknown[]): Promise<T> {
  const end = Date.now() + 15_000;
  for (;;) {
    const value = await probe(schema, name, ...args);
    if (ok(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A small palette PNG of the page into SCREENSHOTS_DIR (docs/assets in docs/frontend.md's command). */
async function screenshot(file: string): Promise<void> {
  if (!SCREENSHOTS_DIR) return;
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const png = await page.screenshot({ type: 'png' });
  await sharp(png).png({ palette: true, colours: 96, compressionLevel: 9 }).toFile(join(SCREENSHOTS_DIR, file));
}

/** Drags the side panel's splitter to the right, as a user would to read long node names (a no-op without one). */
async function widenSidePanel(px: number): Promise<void> {
  const box = await (await page.$('.p-splitter-gutter'))?.boundingBox();
  if (!box) return;
  const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + px, y, { steps: 8 });
  await page.mouse.up();
  await page.mouse.move(1100, 120); // away from the tree, so that no node preview pops up over the canvas
}

before(async () => {
  if (skip) return;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'], defaultViewport: { width: 1280, height: 800 },
  });
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && m.text().includes('Error calling extension')) pageErrors.push(m.text()); });
  await page.goto(COMFYUI_URL!, { waitUntil: 'networkidle0', timeout: 120_000 });
  await page.waitForFunction('window.app?.graph !== undefined', { timeout: 120_000 });
  await page.addScriptTag({ path: join(import.meta.dirname, 'page-probes.js') });
});

after(async () => { await browser?.close(); });

test('the page loads with our three extensions and no extension hook throws', { skip }, async () => {
  const names = await probe(z.array(z.string()), 'extensionNames');
  assert.deepEqual([...names].sort(), ['dp-hyperlora.cost-preview', 'dp-hyperlora.startup-check', 'dp-hyperlora.summary']);
  assert.deepEqual(pageErrors, []);
});

test('the node library lists the DP HyperLoRA category with every node of the manifest, and the training folder', { skip }, async () => {
  const library = await probe(z.object({ folder: z.string(), nodes: z.array(z.string()) }), 'openNodeLibrary', CATEGORY);
  assert.ok(library.folder.startsWith(CATEGORY), library.folder);
  const ours = manifest.nodes.filter((n) => n.category === CATEGORY).map((n) => n.displayName);
  assert.equal(ours.length, manifest.nodes.length);
  // Train SD Pack is the one Python node (training/sdpack/comfy_node.py, category "DP HyperLoRA/training"): the
  // library shows its sub-folder beside the worker nodes.
  assert.deepEqual([...library.nodes].sort(), [...ours, 'training'].sort());
  await widenSidePanel(400);
  await screenshot('frontend-node-library.png');
  await probe(z.boolean(), 'closeSidePanel');
});

test('every example workflow loads without a validation alert; only IPAdapter_plus\'s nodes may be missing', { skip }, async () => {
  const Loaded = z.object({ pkg: z.string().nullable(), templates: z.array(z.string()), nodes: z.array(z.object({ id: z.string(), type: z.string() })) });
  for (const name of templates) {
    const loaded = await probe(Loaded, 'loadTemplate', name);
    assert.ok(loaded.nodes.some((n) => n.type.startsWith('DPHyperLoRA_')), `${name}: our nodes are in the graph`);
    await new Promise((r) => setTimeout(r, 800)); // the frontend opens its dialogs after loadGraphData returns
    const dialog = await probe(z.string(), 'messagesShown');
    assert.ok(!dialog.includes('Invalid workflow'), `${name}: ${dialog}`);
    if (dialog.includes('Missing Node Types')) {
      // 4 and 5 use ComfyUI_IPAdapter_plus (docs/comfyui.md); nothing of ours or of core may be missing.
      const listed = dialog.split('\n').map((l) => l.trim()).filter((l) => /^[A-Z][A-Za-z0-9_]+$/.test(l));
      assert.deepEqual(listed.filter((t) => t !== 'IPAdapterModelLoader' && t !== 'IPAdapterEmbeds'), [], `${name}: ${dialog}`);
    }
    assert.equal(await probe(z.number(), 'closeDialogs'), 0);
  }
});

test('the reference workflow loads from the plugin\'s templates with no validation alert, its cost box filled', { skip }, async () => {
  const loaded = await probe(z.object({ pkg: z.string().nullable(), templates: z.array(z.string()), nodes: z.array(z.object({ id: z.string(), type: z.string() })) }),
    'loadTemplate', '0-reference-demo');
  assert.notEqual(loaded.pkg, null, 'GET /api/workflow_templates lists the plugin');
  assert.deepEqual(loaded.templates, templates);
  assert.equal(loaded.nodes.find((n) => n.id === AGGREGATE)?.type, 'DPHyperLoRA_NoisyAggregate');
  assert.ok(!(await probe(z.string(), 'messagesShown')).includes('Invalid workflow'), 'no workflow validation alert');
  const boxes = await probeUntil(Boxes, (b) => (b.cost ?? '').startsWith('before you run'), 'boxes', AGGREGATE);
  assert.deepEqual(boxes.order, ['dp_cost', 'dp_summary'], 'the cost box above the summary box');
  assert.match(boxes.cost ?? '', /^before you run: this release costs ε = 1 of your 10 per image/);
  assert.equal(boxes.summary, '', 'no summary before a run');
  await probe(z.boolean(), 'view', 0.61, -30, -330); // the reference workflow up to its samplers (below 0.6 the canvas drops widget detail)
  await screenshot('frontend-reference-workflow.png');
});

test('queued as shipped, the reference workflow runs and Noisy Aggregate shows the release summary', { skip, timeout: RUN_TIMEOUT_MS + 30_000 }, async () => {
  assert.equal(await probe(z.boolean(), 'freeCaches'), true);
  assert.deepEqual(await probe(Outcome, 'queueAndWait', RUN_TIMEOUT_MS), { status: 'success' });
  const boxes = await probeUntil(Boxes, (b) => (b.summary ?? '') !== '', 'boxes', AGGREGATE);
  const lines = (boxes.summary ?? '').split('\n');
  assert.match(lines[0] ?? '', /^privacy cost (ε = (1|0\.99\d*) of your 10 per image|now: 0 \(release #1 was already made; repeats are free\))/);
  assert.ok(lines.some((l) => l.startsWith('number of images: kept private; only a noisy count was released')), boxes.summary ?? '');
  assert.ok(lines.some((l) => /^details: add-remove · ε = (1|0\.99\d*), δ = 0\.00001 · σ_sum = /.test(l)), boxes.summary ?? '');
  assert.equal(boxes.severity, 'ok');
  assert.equal(boxes.tinted, false);
});

test('queued again unchanged, everything comes from ComfyUI\'s cache and Noisy Aggregate\'s box says nothing ran or was charged', { skip, timeout: RUN_TIMEOUT_MS + 30_000 }, async () => {
  // ComfyUI sends `executed` for the output nodes only when the whole prompt is cached (docs/frontend.md).
  assert.deepEqual(await probe(Outcome, 'queueAndWait', RUN_TIMEOUT_MS), { status: 'success' });
  const boxes = await probeUntil(Boxes, (b) => (b.summary ?? '').startsWith('↻'), 'boxes', AGGREGATE);
  const lines = (boxes.summary ?? '').split('\n');
  assert.equal(lines[0], '↻ taken from ComfyUI\'s cache this time: not run again, nothing charged. Its last status:');
  assert.match(lines[1] ?? '', /^privacy cost /);
});

test('with ε too small for the set, the summary puts the warning first and the box is tinted', { skip, timeout: RUN_TIMEOUT_MS + 30_000 }, async () => {
  // The bundled sample set's size declared public (replace-one): the noise on the mean is then σ/n exactly, far above
  // the pack's trained range at ε = 0.05, so the warning is certain (under add-remove it depends on the noisy count).
  await probe(z.boolean(), 'setWidgets', AGGREGATE, { epsilon: 0.05, relation: 'replace-one', n_public: privateNames.length, too_few_images: 'make the LoRA anyway' });
  assert.deepEqual(await probe(Outcome, 'queueAndWait', RUN_TIMEOUT_MS), { status: 'success' });
  const boxes = await probeUntil(Boxes, (b) => (b.summary ?? '').startsWith('⚠'), 'boxes', AGGREGATE);
  const lines = (boxes.summary ?? '').split('\n');
  assert.match(lines[0] ?? '', /^⚠ at epsilon 0\.05 .*the noise on the mean embedding .* exceeds the pack's trained range/);
  assert.equal(lines.filter((l) => l.startsWith('⚠')).length, 1);
  assert.ok(lines.includes(`number of images: ${privateNames.length} (you declared it public)`), boxes.summary ?? '');
  assert.ok(lines.some((l) => l.startsWith('details: replace-one · ε = 0.05')), boxes.summary ?? '');
  assert.equal(boxes.severity, 'warn');
  assert.equal(boxes.tinted, true);
  await probe(z.boolean(), 'focusNode', AGGREGATE, 1.1);
  await screenshot('frontend-release-summary-warning.png');
});

test('a release over the budget fails on Noisy Aggregate with BUDGET_EXHAUSTED, shown in the error dialog and on the node', { skip, timeout: RUN_TIMEOUT_MS + 30_000 }, async () => {
  await probe(z.boolean(), 'setWidgets', AGGREGATE, { epsilon: 100, relation: 'add-remove', n_public: 0, too_few_images: 'stop after the count' });
  const outcome = await probe(Outcome, 'queueAndWait', RUN_TIMEOUT_MS);
  assert.equal(outcome.status, 'error');
  if (outcome.status !== 'error') return;
  assert.equal(outcome.nodeId, AGGREGATE);
  assert.equal(outcome.nodeType, 'DPHyperLoRA_NoisyAggregate');
  assert.match(outcome.message, /^\[BUDGET_EXHAUSTED\] release refused: it would charge .* Nothing was charged and no noisy value was computed\./);
  const dialog = await probeUntil(z.string(), (t) => t.includes('[BUDGET_EXHAUSTED]'), 'messagesShown');
  assert.ok(dialog.includes('[BUDGET_EXHAUSTED] release refused'), dialog);
  const marked = await probe(z.string().nullable(), 'errorNode');
  if (marked !== null) assert.equal(marked, AGGREGATE, 'the frontend marks Noisy Aggregate as the failed node');
  await screenshot('frontend-budget-exhausted.png');
  assert.equal(await probe(z.number(), 'closeDialogs'), 0);
  const boxes = await probeUntil(Boxes, (b) => b.severity === 'error', 'boxes', AGGREGATE);
  assert.match(boxes.summary ?? '', /^✖ the last run failed, so no summary: \[BUDGET_EXHAUSTED\] release refused/, 'not the previous release\'s summary');
  assert.equal(boxes.tinted, true);
  const lora = await probe(Boxes, 'boxes', HYPERNETWORK_LORA);
  assert.match(lora.summary ?? '', /^⏸ not run this time \(the run failed or was stopped before this node\); its last status:\n./,
    'Hypernetwork LoRA did not run: its box does not pass the previous run\'s LoRA off as this one\'s');
  await screenshot('frontend-budget-exhausted-node.png');
});

test('nothing the page shows or holds names an image of the private set', { skip }, async () => {
  const shown = await probe(z.string(), 'everythingShown');
  assert.ok(shown.includes('demo-data/private-set (bundled)'), 'the folder label is there (it is the user\'s chosen label)');
  for (const name of privateNames) assert.ok(!shown.includes(name), `the page shows ${name}`);
  assert.deepEqual(pageErrors, []);
});
