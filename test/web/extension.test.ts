/**
 * The frontend extension: the pure budget view (from its TypeScript source and from the committed compiled
 * JS, which must agree), and the compiled extension loaded into a small ComfyUI-frontend stand-in (an `app`
 * module at ../../scripts/app.js and a minimal DOM), as the browser would load it from /extensions/<plugin>/.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { budgetView } from '../../web/src/budget-view.js';

const SUMMARY = [
  'release #1 · add-remove · ε = 1, δ = 0.00001',
  'n: private, released only as a noisy count (≈ 13, σ_count = 12.85)',
  'σ_sum = 4.264 (clip C = 1)',
  'ε charged now: 0.9995',
  'budget left (most-spent image): ε = 0.5',
  '⚠ at epsilon 1 with delta 1e-05 the noise on the mean needs at least 40 images to stay in the trained range',
];

test('budgetView splits lines and warnings and reads ε charged and ε left', () => {
  const v = budgetView(SUMMARY);
  assert.deepEqual(v.lines, SUMMARY.slice(0, 5));
  assert.equal(v.epsilonCharged, 0.9995);
  assert.equal(v.epsilonLeft, 0.5);
  assert.equal(v.severity, 'warn');
  assert.deepEqual(v.warnings, [
    'at epsilon 1 with delta 1e-05 the noise on the mean needs at least 40 images to stay in the trained range',
    'the most-spent image has ε = 0.5 left: further releases of this set will soon be refused.',
  ]);
  const repeat = budgetView(['ε charged now: 0 (repeat of a stored release)', 'budget left (most-spent image): ε = 9.896']);
  assert.deepEqual([repeat.epsilonCharged, repeat.epsilonLeft, repeat.severity, repeat.warnings], [0, 9.896, 'ok', []]);
});

test('the committed web/js/budget-view.js behaves like its source (run `npm --prefix web run build` after edits)', async () => {
  const compiled = (await import(pathToFileURL(join(process.cwd(), 'web/js/budget-view.js')).href)) as { budgetView: typeof budgetView };
  for (const text of [SUMMARY, [], ['budget left (most-spent image): ε = 3'], ['⚠ x']]) assert.deepEqual(compiled.budgetView(text), budgetView(text));
});

class El {
  children: El[] = [];
  textContent = '';
  style: Record<string, string> = {};
  append(...c: El[]): void { this.children.push(...c); }
  replaceChildren(): void { this.children = []; }
}

test('the compiled extension registers, adds a status panel to our nodes only, and renders the summary', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dphl-frontend-'));
  mkdirSync(join(root, 'scripts'));
  mkdirSync(join(root, 'extensions'));
  cpSync(join(process.cwd(), 'web/js'), join(root, 'extensions', 'dp-hyperlora'), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n'); // browsers load extensions as ES modules
  writeFileSync(join(root, 'scripts', 'app.js'), 'export const app = { registered: [], registerExtension(e) { this.registered.push(e); } };\n');
  (globalThis as { document?: unknown }).document = { createElement: () => new El() };
  await import(pathToFileURL(join(root, 'extensions', 'dp-hyperlora', 'dp-hyperlora.js')).href);
  const { app } = (await import(pathToFileURL(join(root, 'scripts', 'app.js')).href)) as { app: { registered: Array<{ name: string; beforeRegisterNodeDef(t: unknown, d: unknown): Promise<void> }> } };
  assert.deepEqual(app.registered.map((e) => e.name), ['dp-hyperlora.status']);
  const ext = app.registered[0];
  assert.ok(ext);
  interface Proto { onNodeCreated?(): void; onExecuted?(o: unknown): void; addDOMWidget(...a: unknown[]): unknown; widgets: { name: string; element: El; serialize?: boolean }[] }
  const makeType = (): { prototype: Proto } => ({
    prototype: {
      widgets: [],
      addDOMWidget(name: unknown, _type: unknown, element: unknown) { const w = { name: String(name), element: element as El }; this.widgets.push(w); return w; },
    },
  });
  const core = makeType();
  await ext.beforeRegisterNodeDef(core, { name: 'KSampler' });
  assert.equal(core.prototype.onNodeCreated, undefined);
  const agg = makeType();
  await ext.beforeRegisterNodeDef(agg, { name: 'DPHyperLoRA_NoisyAggregate' });
  const node = Object.create(agg.prototype) as Proto;
  node.widgets = [];
  node.onNodeCreated?.call(node);
  assert.equal(node.widgets[0]?.name, 'dp_status');
  assert.equal(node.widgets[0]?.serialize, false);
  node.onExecuted?.call(node, { text: SUMMARY });
  const rows = node.widgets[0]?.element.children.map((c) => c.textContent) ?? [];
  assert.deepEqual(rows.slice(0, 5), SUMMARY.slice(0, 5));
  assert.equal(rows.length, 7);
  assert.ok(rows[6]?.startsWith('⚠ the most-spent image has ε = 0.5 left'));
  assert.equal(node.widgets[0]?.element.style.borderLeft, '3px solid #f0b040');
});
