/**
 * The committed frontend (web/js, the WEB_DIRECTORY) is exactly what scripts/build-web.mjs makes from web/src and
 * docs/nodes, it holds only what ComfyUI should serve, and every node has its help page.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..', '..');
const webJs = join(root, 'web', 'js');

/** Every file under `dir`, as sorted paths relative to it. */
function listFiles(dir: string): string[] {
  const walk = (d: string): string[] => readdirSync(d).flatMap((name) => {
    const p = join(d, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
  return walk(dir).map((p) => relative(dir, p)).sort();
}

function nodeIds(): string[] {
  const manifest = JSON.parse(readFileSync(join(root, 'nodes', 'manifest.json'), 'utf8')) as { nodes: { id: string }[] };
  return manifest.nodes.map((n) => n.id).sort();
}

test('the committed web/js equals a fresh build, byte for byte (after editing web/src or docs/nodes, run `npm run build:web`)', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'dphl-web-')), 'js');
  // Emit only: the bytes do not depend on type information (verbatimModuleSyntax), and the frontend types live in
  // web/node_modules, which the root `npm ci` does not install.
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-web.mjs'), '--out-dir', out, '--no-typecheck'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const fresh = listFiles(out);
  assert.deepEqual(listFiles(webJs), fresh);
  for (const f of fresh) assert.ok(readFileSync(join(webJs, f)).equals(readFileSync(join(out, f))), `web/js/${f} differs from a fresh build`);
});

test('web/js holds only the extension modules and the help pages: no tests, source maps or local paths', () => {
  const files = listFiles(webJs);
  const scripts = files.filter((f) => f.endsWith('.js'));
  assert.deepEqual(scripts, ['cost-preview.js', 'dp-hyperlora.js', 'release-summary.js', 'startup-check.js', 'widget-order.js']);
  assert.deepEqual(files.filter((f) => !f.endsWith('.js')), nodeIds().map((id) => join('docs', `${id}.md`)));
  for (const f of scripts) {
    const js = readFileSync(join(webJs, f), 'utf8');
    assert.ok(!js.includes('sourceMappingURL'), `${f} references a source map`);
    assert.ok(!js.includes(root), `${f} contains a local path`);
    assert.ok(!/\bfrom\s+['"](?!\.{1,2}\/)/.test(js), `${f} imports a bare module specifier, which a browser cannot resolve`);
  }
});

test('every node in nodes/manifest.json has a help page in docs/nodes, copied to web/js/docs', () => {
  for (const id of nodeIds()) {
    const page = readFileSync(join(root, 'docs', 'nodes', `${id}.md`), 'utf8');
    assert.ok(page.includes('## What this protects'), `${id}: the page has a "What this protects" section`);
    assert.ok(page.includes('## Errors'), `${id}: the page lists its errors`);
    assert.equal(readFileSync(join(webJs, 'docs', `${id}.md`), 'utf8'), page, `${id}: web/js/docs copy`);
  }
  assert.deepEqual(readdirSync(join(root, 'docs', 'nodes')).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3)).sort(), nodeIds());
});
