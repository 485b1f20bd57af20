import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseVary } from '../../src/comfy/batch-plan.js';
import { runBatch, type BatchEvent, type BatchOptions } from '../../src/comfy/batch-run.js';
import { readManifest, type ManifestLine } from '../../src/comfy/manifest.js';
import type { ApiPrompt } from '../../src/comfy/workflow-api.js';
import { startFakeComfy } from './fake-comfy-server.js';

const base: ApiPrompt = {
  '1': { class_type: 'LoadImage', inputs: { image: 'example.png' } },
  '2': { class_type: 'ImageScale', inputs: { image: ['1', 0], upscale_method: 'nearest-exact', width: 32, height: 32, crop: 'disabled' } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'b' } },
};

function options(servers: string[], outDir: string, extra: Partial<BatchOptions> = {}): BatchOptions {
  return {
    servers, workflow: { format: 'api', prompt: base }, outDir, set: {}, vary: [parseVary('2.inputs.width=10..15')],
    concurrency: 2, maxAttempts: 3, retryDelayMs: 20,
    client: { backoff: { initialMs: 20, maxMs: 50 }, reconnectGiveUpMs: 400 }, ...extra,
  };
}

function lines(dir: string): ManifestLine[] {
  return readFileSync(join(dir, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ManifestLine);
}

test('success path: one job per --vary value, every output downloaded, one manifest line each', async () => {
  const s = await startFakeComfy();
  const out = mkdtempSync(join(tmpdir(), 'batch-'));
  try {
    const summary = await runBatch(options([s.url], out), () => undefined);
    assert.deepEqual({ ...summary, manifest: '' }, { total: 6, skipped: 0, succeeded: 6, failed: 0, interrupted: 0, manifest: '' });
    const m = lines(out);
    assert.deepEqual(m.map((l) => l.inputs['2.inputs.width']).sort(), [10, 11, 12, 13, 14, 15]);
    assert.ok(m.every((l) => l.status === 'success' && l.server === s.url && l.files.length === 1 && l.attempts === 1));
    const files = readdirSync(out).filter((f) => f.endsWith('.png')).sort();
    assert.equal(files.length, 6);
    const job1 = m.find((l) => l.job === 'job-0001') as ManifestLine;
    const png = readFileSync(join(out, job1.files[0] as string));
    assert.equal(png.readUInt32BE(16), 10); // the width this job asked for
  } finally { await s.close(); }
});

test('resume: a rerun skips finished jobs and runs only the missing ones', async () => {
  const s = await startFakeComfy();
  const out = mkdtempSync(join(tmpdir(), 'batch-'));
  try {
    await runBatch(options([s.url], out, { vary: [parseVary('2.inputs.width=10..12')] }), () => undefined);
    const before = s.accepted.length;
    const again = await runBatch(options([s.url], out, { vary: [parseVary('2.inputs.width=10..14')] }), () => undefined);
    assert.equal(again.skipped, 3);
    assert.equal(again.succeeded, 2);
    assert.equal(s.accepted.length - before, 2);
    assert.equal(readManifest(join(out, 'manifest.jsonl')).size, 5);
  } finally { await s.close(); }
});

test('validation and execution failures are permanent: reported, and the batch continues', async () => {
  const s = await startFakeComfy();
  const out = mkdtempSync(join(tmpdir(), 'batch-'));
  try {
    const prompts = (): Record<string, unknown>[] => [{ '3.inputs.filename_prefix': 'fine' }, { '3.inputs.filename_prefix': '../escape' }, { '2.inputs.crop': 'sideways' }];
    await assert.rejects(runBatch(options([s.url], out, { vary: [], prompts }), () => undefined), (e: unknown) =>
      e instanceof Error && 'code' in e && e.code === 'WORKFLOW_INVALID' && /job-0003: node "2" \(ImageScale\) input "crop": "sideways" is not one of the server's choices/.test(e.message));
    const summary = await runBatch(options([s.url], out, { vary: [], prompts: () => prompts().slice(0, 2) }), () => undefined);
    assert.equal(summary.succeeded, 1);
    assert.equal(summary.failed, 1);
    const failed = lines(out).find((l) => l.status === 'failed') as ManifestLine;
    assert.equal(failed.error?.code, 'COMFY_EXECUTION');
    assert.equal(failed.attempts, 1);
  } finally { await s.close(); }
});

test('two servers: jobs are spread least-loaded first and run in parallel', async () => {
  const a = await startFakeComfy({ nodeMs: 30 });
  const b = await startFakeComfy({ nodeMs: 30 });
  const out = mkdtempSync(join(tmpdir(), 'batch-'));
  try {
    const summary = await runBatch(options([a.url, b.url], out, { vary: [parseVary('2.inputs.width=1..8')], concurrency: 1 }), () => undefined);
    assert.equal(summary.succeeded, 8);
    assert.equal(a.accepted.length, 4);
    assert.equal(b.accepted.length, 4);
  } finally { await a.close(); await b.close(); }
});

test('a server that dies mid-batch: its jobs are retried on the other server', async () => {
  const a = await startFakeComfy({ nodeMs: 60_000 }); // a job on a is always in flight when a dies
  const b = await startFakeComfy({ nodeMs: 40 });
  const out = mkdtempSync(join(tmpdir(), 'batch-'));
  let killed = false;
  a.onExecutionStart(() => { if (!killed) { killed = true; setTimeout(() => { void a.kill(); }, 20); } });
  const retries: BatchEvent[] = [];
  try {
    const summary = await runBatch(options([a.url, b.url], out, { vary: [parseVary('2.inputs.width=1..6')], concurrency: 1 }), (e) => { if (e.type === 'retry') retries.push(e); });
    assert.equal(summary.succeeded, 6);
    assert.equal(summary.failed, 0);
    assert.ok(retries.length >= 1);
    assert.ok(lines(out).every((l) => l.server === b.url || l.attempts === 1));
    assert.ok(lines(out).some((l) => l.server === b.url && l.attempts === 2));
  } finally { await b.close(); }
});

test('the only server dies: each job is retried up to the cap, then recorded as failed, and the batch ends', async () => {
  const s = await startFakeComfy({ nodeMs: 60_000 }); // the kill, not the clock, ends the first prompt
  const out = mkdtempSync(join(tmpdir(), 'batch-'));
  s.onExecutionStart(() => setTimeout(() => { void s.kill(); }, 20));
  const retries: string[] = [];
  const summary = await runBatch(options([s.url], out, { vary: [parseVary('2.inputs.width=1..3')], concurrency: 1 }), (e) => { if (e.type === 'retry') retries.push(e.job); });
  assert.deepEqual({ succeeded: summary.succeeded, failed: summary.failed }, { succeeded: 0, failed: 3 });
  assert.equal(summary.firstError?.code, 'COMFY_HTTP');
  const m = lines(out);
  assert.deepEqual(m.map((l) => [l.status, l.attempts, l.error?.code]), [['failed', 3, 'COMFY_HTTP'], ['failed', 3, 'COMFY_HTTP'], ['failed', 3, 'COMFY_HTTP']]);
  assert.equal(retries.length, 6); // two retries per job (maxAttempts 3)
});

test('interrupt: aborting interrupts running prompts, records them as interrupted, and a rerun finishes the rest', async () => {
  const s = await startFakeComfy({ nodeMs: 60_000 }); // the abort, not the clock, ends the running prompt
  const out = mkdtempSync(join(tmpdir(), 'batch-'));
  try {
    const ac = new AbortController();
    s.onExecutionStart(() => setTimeout(() => ac.abort(), 50));
    const first = await runBatch(options([s.url], out, { signal: ac.signal }), () => undefined);
    assert.equal(first.succeeded, 0);
    assert.equal(first.interrupted, 2); // the running one and the one queued behind it
    assert.equal(s.interrupts, 1);
    assert.deepEqual(lines(out).map((l) => l.status), ['interrupted', 'interrupted']);
    s.onExecutionStart(() => undefined);
    s.setNodeMs(0);
    const second = await runBatch(options([s.url], out), () => undefined);
    assert.equal(second.skipped, 0);
    assert.equal(second.succeeded, 6);
  } finally { await s.close(); }
});
