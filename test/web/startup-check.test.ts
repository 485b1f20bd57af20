/**
 * The compiled start-up check (web/js/startup-check.js), loaded as the browser loads it from /extensions/<plugin>/,
 * beside stand-ins of the frontend's legacy modules (reference/comfyui.md §6): /scripts/app.js (`app.registerExtension`;
 * the app handed to `setup` has `extensionManager.toast.add(message)` from @comfyorg/comfyui-frontend-types and, as in
 * frontend 1.4.13, no `api`) and /scripts/api.js (`api.fetchApi(route)`, which requests /api + route, §4). fetchApi here asks a real local HTTP server on port 0 that answers the way
 * bridge/startup.py does (test/bridge/test_startup.py checks the Python side).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

interface Toast { severity: string; summary: string; detail: string }
interface Extension { name: string; setup(app: unknown): Promise<void> }

const STAND_IN_APP = `export const app = { extensions: [], registerExtension(e) { this.extensions.push(e); } };\n`;
const STAND_IN_API = `export const api = { origin: '', fetchApi(route, init) { return fetch(this.origin + '/api' + route, init); } };\n`;

async function loadExtension(): Promise<{ ext: Extension; api: { origin: string } }> {
  const site = mkdtempSync(join(tmpdir(), 'dphl-frontend-'));
  mkdirSync(join(site, 'scripts'));
  writeFileSync(join(site, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(site, 'scripts', 'app.js'), STAND_IN_APP);
  writeFileSync(join(site, 'scripts', 'api.js'), STAND_IN_API);
  cpSync(join(import.meta.dirname, '..', '..', 'web', 'js'), join(site, 'extensions', 'dp-hyperlora'), { recursive: true });
  await import(pathToFileURL(join(site, 'extensions', 'dp-hyperlora', 'startup-check.js')).href);
  const { app } = (await import(pathToFileURL(join(site, 'scripts', 'app.js')).href)) as { app: { extensions: Extension[] } };
  const { api } = (await import(pathToFileURL(join(site, 'scripts', 'api.js')).href)) as { api: { origin: string } };
  assert.deepEqual(app.extensions.map((e) => e.name), ['dp-hyperlora.startup-check']);
  return { ext: app.extensions[0]!, api };
}

async function serve(body: unknown): Promise<{ server: Server; base: string; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    if (req.url === '/api/dp_hyperlora/status') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  assert.ok(addr !== null && typeof addr === 'object');
  return { server, base: `http://127.0.0.1:${addr.port}`, paths };
}

async function runSetup(body: unknown): Promise<{ toasts: Toast[]; paths: string[] }> {
  const { ext, api } = await loadExtension();
  const { server, base, paths } = await serve(body);
  api.origin = base;
  const toasts: Toast[] = [];
  const comfy = { extensionManager: { toast: { add: (t: Toast) => toasts.push(t) } } };
  try {
    await ext.setup(comfy);
  } finally {
    server.close();
  }
  return { toasts, paths };
}

test('a worker that cannot start is shown at set-up as a sticky error toast saying what to install', async () => {
  const problem = 'Node.js was not found. DP HyperLoRA runs its nodes in a Node.js worker: install Node.js 20 or newer (https://nodejs.org LTS installer; …)';
  const { toasts, paths } = await runSetup({ ok: false, name: 'DP HyperLoRA', problem });
  assert.deepEqual(paths, ['/api/dp_hyperlora/status']);
  assert.deepEqual(toasts, [{ severity: 'error', summary: 'DP HyperLoRA: the worker cannot start, so its nodes will fail', detail: problem }]);
});

test('a worker that can start shows nothing, and neither does an unexpected answer', async () => {
  assert.deepEqual((await runSetup({ ok: true, name: 'DP HyperLoRA', problem: null })).toasts, []);
  assert.deepEqual((await runSetup({ ok: 'no' })).toasts, []);
});
