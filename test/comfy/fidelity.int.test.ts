// The test server against a recording of a real ComfyUI 0.3.64 (fixtures/real-comfyui-0.3.64.json, made
// with the commands in docs/batch.md): the client's schemas accept every real message, and the test
// server answers the same prompts with the same 400 bodies and the same /ws message sequence.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import WebSocket from 'ws';
import { ObjectInfo } from '../../src/comfy/object-info.js';
import { HistoryReply, PromptAccepted, PromptRejected, QueueReply } from '../../src/comfy/rest-schemas.js';
import { parseWsText, type WsMessage } from '../../src/comfy/ws-messages.js';
import type { ApiPrompt } from '../../src/comfy/workflow-api.js';
import { startFakeComfy } from './fake-comfy-server.js';

interface Recording { ws: { type: string; data: Record<string, unknown> }[]; rest: Record<string, { status: number; body: unknown } | Record<string, unknown>> }
const real = JSON.parse(readFileSync(new URL('./fixtures/real-comfyui-0.3.64.json', import.meta.url), 'utf8')) as Recording;

const wf = (w: number, h: number, prefix: string): ApiPrompt => ({
  '1': { class_type: 'LoadImage', inputs: { image: 'example.png' } },
  '2': { class_type: 'ImageScale', inputs: { image: ['1', 0], upscale_method: 'nearest-exact', width: w, height: h, crop: 'disabled' } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: prefix } },
});

/** The 400-producing prompts of the recording, rebuilt the same way. */
function badPrompts(): Record<string, unknown> {
  const inputs = wf(-5, 21, 'x');
  (inputs['2'] as { inputs: Record<string, unknown> }).inputs.upscale_method = 'nope';
  delete (inputs['2'] as { inputs: Record<string, unknown> }).inputs.crop;
  const dangling = wf(8, 8, 'x');
  (dangling['3'] as { inputs: Record<string, unknown> }).inputs.images = ['9', 0];
  const missing = wf(8, 8, 'x');
  (missing['1'] as { inputs: Record<string, unknown> }).inputs.image = 'missing.png';
  const mism = wf(8, 8, 'x');
  (mism['3'] as { inputs: Record<string, unknown> }).inputs.images = ['1', 1];
  return {
    prompt_400_inputs: inputs, prompt_400_dangling: dangling, prompt_400_no_outputs: { '1': wf(1, 1, 'x')['1'] },
    prompt_400_unknown_class: { ...wf(1, 1, 'x'), '4': { class_type: 'NoSuchNode', inputs: {} } },
    prompt_400_custom: missing, prompt_400_type_mismatch: mism,
  };
}

/**
 * Drops what legitimately differs between two servers: tracebacks (paths, line numbers), and the order of
 * one node's errors (ComfyUI iterates a Python set of input names, so that order changes between runs).
 */
function comparable(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (k, x: unknown) => {
    if (k === 'traceback') return '<traceback>';
    if (k === 'errors' && Array.isArray(x)) return [...x].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return x;
  }));
}

test('every /ws message recorded from the real ComfyUI passes the client schemas', () => {
  assert.ok(real.ws.length > 40);
  for (const m of real.ws) assert.notEqual(parseWsText(JSON.stringify(m)).type, 'other', m.type);
});

test('every REST reply recorded from the real ComfyUI passes the client schemas', () => {
  assert.equal(PromptAccepted.safeParse((real.rest.prompt_ok as { body: unknown }).body).success, true);
  for (const k of ['history_ok', 'history_cached', 'history_error', 'history_interrupted', 'history_unknown']) {
    assert.equal(HistoryReply.safeParse(real.rest[k]).success, true, k);
  }
  assert.equal(QueueReply.safeParse(real.rest.queue_running).success, true);
  for (const k of Object.keys(badPrompts())) assert.equal(PromptRejected.safeParse((real.rest[k] as { body: unknown }).body).success, true, k);
});

test('the test server answers invalid prompts with the same HTTP 400 bodies as the real one', async () => {
  const s = await startFakeComfy();
  try {
    for (const [k, prompt] of Object.entries(badPrompts())) {
      const r = await fetch(`${s.url}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt, client_id: 'x' }) });
      const want = real.rest[k] as { status: number; body: unknown };
      assert.equal(r.status, want.status, k);
      assert.deepEqual(comparable(await r.json()), comparable(want.body), k);
    }
  } finally { await s.close(); }
});

/** [type, node, queue_remaining] of each message, the part of the sequence the client depends on. */
function shape(msgs: readonly { type: string; data: Record<string, unknown> }[]): unknown[] {
  return msgs.filter((m) => m.type !== 'feature_flags').map((m) => {
    const d = m.data;
    if (m.type === 'status') return ['status', (d.status as { exec_info: { queue_remaining: number } }).exec_info.queue_remaining];
    if (m.type === 'progress_state') return ['progress_state', Object.entries(d.nodes as Record<string, { state: string }>).map(([id, n]) => `${id}:${n.state}`).join(',')];
    if (m.type === 'execution_cached') return ['execution_cached', (d.nodes as string[]).join(',')];
    return [m.type, d.node ?? d.node_id ?? null];
  });
}

test('the test server sends the same /ws message sequence as the real one (run, cached rerun, execution error)', async () => {
  const s = await startFakeComfy();
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}/ws?clientId=fidelity`);
  const got: WsMessage[] = [];
  ws.on('message', (d, bin) => { if (!bin) got.push(parseWsText(String(d))); });
  await new Promise((r) => ws.on('open', r));
  ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
  const post = async (p: ApiPrompt): Promise<void> => {
    const n = got.length;
    const r = await fetch(`${s.url}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: p, client_id: 'fidelity' }) });
    assert.equal(r.status, 200);
    while (!got.slice(n).some((m) => m.type === 'executing' && m.data.node === null)) await new Promise((res) => setTimeout(res, 5));
  };
  try {
    await post(wf(5, 5, 'warm')); // the recording started with LoadImage already cached by earlier prompts
    got.length = 0;
    await post(wf(33, 21, 'fx'));
    await post(wf(33, 21, 'fx'));
    await post(wf(8, 8, '../../escape'));
    const realPhases = real.ws.filter((m) => m.type !== 'feature_flags').slice(1); // drop the connect-time status
    const end = realPhases.findIndex((m, i) => m.type === 'executing' && m.data.node === null && realPhases.slice(0, i).filter((x) => x.type === 'execution_error').length > 0);
    assert.deepEqual(shape(got as { type: string; data: Record<string, unknown> }[]), shape(realPhases.slice(0, end + 1)));
  } finally { ws.close(); await s.close(); }
});

test('the whole /object_info of the real ComfyUI (359 classes, V1 and V3 nodes) passes the client schema', () => {
  const full = JSON.parse(readFileSync(new URL('./fixtures/object_info.real-0.3.64.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const parsed = ObjectInfo.safeParse(full);
  assert.equal(parsed.success, true, parsed.success ? '' : parsed.error.message.slice(0, 500));
  assert.equal(Object.keys(full).length, 359);
});

/** A history entry with run-specific values (ids, numbers, times, file names, error texts) blanked out. */
function historyShape(entry: unknown): unknown {
  return JSON.parse(JSON.stringify(entry, (k, x: unknown) => {
    if (['prompt_id', 'timestamp', 'filename', 'filename_prefix', 'exception_message', 'traceback', 'current_inputs', 'current_outputs', 'client_id'].includes(k)) return '<run-specific>';
    return x;
  }), (k, x: unknown) => (k === 'prompt' && Array.isArray(x) ? ['<number>', '<id>', ...x.slice(2)] : x));
}

test('the test server writes /history entries shaped like the real ones (success, cached, execution error)', async () => {
  const s = await startFakeComfy();
  const ws = new WebSocket(`${s.url.replace('http', 'ws')}/ws?clientId=hist`);
  await new Promise((r) => ws.on('open', r));
  const run = async (p: ApiPrompt): Promise<unknown> => {
    const r = await fetch(`${s.url}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: p, client_id: 'hist' }) });
    const id = ((await r.json()) as { prompt_id: string }).prompt_id;
    for (;;) {
      const h = (await (await fetch(`${s.url}/history/${id}`)).json()) as Record<string, unknown>;
      if (h[id] !== undefined) return h[id];
      await new Promise((res) => setTimeout(res, 10));
    }
  };
  try {
    await run(wf(5, 5, 'warm'));
    const entryOf = (k: string): unknown => Object.values(real.rest[k] as Record<string, unknown>)[0];
    const mine = { ok: await run(wf(33, 21, 'fx')), cached: await run(wf(33, 21, 'fx')), error: await run(wf(8, 8, '../../escape')) };
    assert.deepEqual(historyShape(mine.ok), historyShape(entryOf('history_ok')));
    assert.deepEqual(historyShape(mine.cached), historyShape(entryOf('history_cached')));
    assert.deepEqual(historyShape(mine.error), historyShape(entryOf('history_error')));
  } finally { ws.close(); await s.close(); }
});
