// End to end: the built CLI (`node bin/dp-hyperlora.js batch`, after `npx tsc -p tsconfig.build.json`)
// against the ComfyUI test server on loopback.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startFakeComfy } from '../comfy/fake-comfy-server.js';

const root = new URL('../..', import.meta.url).pathname;

interface Run { status: number | null; stdout: string; stderr: string }

function cli(args: string[], onStdout?: (chunk: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin/dp-hyperlora.js'), ...args], { cwd: root, env: { ...process.env, DP_HYPERLORA_LOG: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); onStdout?.(d.toString(), child); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A UI-format (litegraph 0.4) file for LoadImage → ImageScale → SaveImage, as the frontend saves it. */
function uiWorkflow(): unknown {
  return {
    last_node_id: 3, last_link_id: 2, version: 0.4, groups: [], config: {}, extra: {},
    nodes: [
      { id: 1, type: 'LoadImage', pos: [0, 0], size: [300, 300], flags: {}, order: 0, mode: 0, inputs: [],
        outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [1], slot_index: 0 }, { name: 'MASK', type: 'MASK', links: null }],
        properties: { 'Node name for S&R': 'LoadImage' }, widgets_values: ['example.png', 'image'] },
      { id: 2, type: 'ImageScale', pos: [320, 0], size: [300, 130], flags: {}, order: 1, mode: 0,
        inputs: [{ name: 'image', type: 'IMAGE', link: 1 }], outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [2], slot_index: 0 }],
        properties: { 'Node name for S&R': 'ImageScale' }, widgets_values: ['nearest-exact', 48, 40, 'disabled'] },
      { id: 3, type: 'SaveImage', pos: [640, 0], size: [300, 300], flags: {}, order: 2, mode: 0,
        inputs: [{ name: 'images', type: 'IMAGE', link: 2 }], outputs: [], properties: {}, widgets_values: ['e2e'] },
    ],
    links: [[1, 1, 0, 2, 0, 'IMAGE'], [2, 2, 0, 3, 0, 'IMAGE']],
  };
}

test('batch --json runs a UI-format workflow with --vary, downloads outputs, and a rerun resumes', async () => {
  const s = await startFakeComfy();
  const dir = mkdtempSync(join(tmpdir(), 'batch-e2e-'));
  const wf = join(dir, 'wf.json');
  writeFileSync(wf, JSON.stringify(uiWorkflow()));
  const out = join(dir, 'out');
  try {
    const args = ['batch', '--server', s.url, '--workflow', wf, '--out', out, '--vary', '2.inputs.height=40..42', '--json'];
    const r = await cli(args);
    assert.equal(r.status, 0, r.stderr);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(events[0], { event: 'plan', type: 'plan', total: 3, skipped: 0, servers: [s.url] });
    const done = events.filter((e) => e.event === 'done');
    assert.equal(done.length, 3);
    assert.ok(done.every((e) => e.status === 'success' && e.server === s.url && typeof e.prompt_id === 'string'));
    const summary = events.at(-1) as Record<string, unknown>;
    assert.equal(summary.event, 'summary');
    assert.equal(summary.succeeded, 3);
    assert.equal(readdirSync(out).filter((f) => f.endsWith('.png')).length, 3);

    const again = await cli(args);
    assert.equal(again.status, 0, again.stderr);
    const last = JSON.parse(again.stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
    assert.equal(last.skipped, 3);
    assert.equal(last.succeeded, 0);
    assert.equal(s.accepted.length, 3);
  } finally { await s.close(); }
});

test('batch reports a workflow that does not fit the server with exit status 2 and every problem', async () => {
  const s = await startFakeComfy();
  const dir = mkdtempSync(join(tmpdir(), 'batch-e2e-'));
  const wf = join(dir, 'wf.json');
  writeFileSync(wf, JSON.stringify(uiWorkflow()));
  try {
    const r = await cli(['batch', '--server', s.url, '--workflow', wf, '--out', join(dir, 'out'), '--set', '2.inputs.width=-5', '--set', '2.inputs.crop=sideways']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /error \[WORKFLOW_INVALID\]: the workflow does not fit the nodes installed on http:\/\/127\.0\.0\.1:\d+: node "2" \(ImageScale\) input "width": -5 is smaller than the minimum 0; node "2" \(ImageScale\) input "crop": "sideways" is not one of the server's choices \("disabled", "center"\)\./);
    assert.equal(s.accepted.length, 0);
  } finally { await s.close(); }
});

test('Ctrl-C interrupts the running prompt on the server, records it, and exits 130', async () => {
  const s = await startFakeComfy({ nodeMs: 60_000 }); // Ctrl-C, not the clock, ends the running prompt
  const dir = mkdtempSync(join(tmpdir(), 'batch-e2e-'));
  const wf = join(dir, 'wf.json');
  writeFileSync(wf, JSON.stringify(uiWorkflow()));
  const out = join(dir, 'out');
  try {
    let sent = false;
    const r = await cli(['batch', '--server', s.url, '--workflow', wf, '--out', out, '--vary', '2.inputs.height=1..3', '--concurrency', '1', '--json'], (chunk, child) => {
      if (!sent && chunk.includes('"event":"start"')) { sent = true; setTimeout(() => child.kill('SIGINT'), 300); }
    });
    assert.equal(r.status, 130, r.stderr);
    assert.equal(s.interrupts, 1);
    const manifest = readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { status: string; error?: { code: string } });
    assert.deepEqual(manifest.map((l) => [l.status, l.error?.code]), [['interrupted', 'CANCELLED']]);
  } finally { await s.close(); }
});
