/**
 * The test server's prompt executor: sends the /ws messages of one prompt in the order a real ComfyUI
 * 0.3.64 sends them (captured in docs/batch.md): execution_start, execution_cached, then per node
 * progress_state(running) → executing → [progress + preview frame]* → executed → progress_state(finished),
 * and execution_success | execution_error | execution_interrupted. Cached nodes (same inputs and ancestors
 * as in the previous prompt) are skipped, and cached output nodes re-send `executed`, as in ComfyUI.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join, basename } from 'node:path';
import sharp from 'sharp';
import type { ObjectInfo } from '../../../src/comfy/object-info.js';
import { isLink, type ApiPrompt } from '../../../src/comfy/workflow-api.js';
import { NodeException, runNode, type NodeContext } from './nodes.js';

/** One queue entry. */
export interface QueueItem {
  number: number;
  promptId: string;
  prompt: ApiPrompt;
  extraData: Record<string, unknown>;
  outputs: string[];
  clientId: string | null;
}

/** What the executor needs from the server. */
export interface RunHooks {
  sendJson(event: string, data: unknown, sid: string | null): void;
  sendBinary(frame: Buffer, sid: string): void;
  objectInfo(): ObjectInfo;
  counters: Map<string, number>;
  cache: Map<string, { ui?: Record<string, unknown[]>; outputs: unknown[] }>;
  dirs: { inputDir: string; outputDir: string; tempDir: string };
  nodeMs(): number;
  interrupted(): boolean;
  setLastNode(node: string | null): void;
  wantsMetadata(sid: string): boolean;
}

/** The history part of a finished prompt. */
export interface ExecResult {
  success: boolean;
  messages: [string, Record<string, unknown>][];
  outputs: Record<string, Record<string, unknown[]>>;
  meta: Record<string, unknown>;
}

const PROGRESS_STEPS = 4;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Simulated work that ends early when the prompt is interrupted or the server dies (checked every 10 ms), so
 * tests can give nodes minutes of work and end them by an event instead of racing a short node against a timer.
 */
async function work(ms: number, stop: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!stop() && Date.now() < end) await sleep(Math.min(10, end - Date.now()));
}

/** Nodes the outputs depend on, dependencies first. */
function executionOrder(prompt: ApiPrompt, outputs: string[]): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string): void => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const v of Object.values(prompt[id]?.inputs ?? {})) if (isLink(v)) visit(v[0]);
    order.push(id);
  };
  for (const o of outputs) visit(o);
  return order;
}

/** Cache keys: class, literal inputs, ancestors' keys (and the input file for LoadImage, like its IS_CHANGED hash). */
function signatures(prompt: ApiPrompt, order: string[], inputDir: string): Map<string, string> {
  const sig = new Map<string, string>();
  for (const id of order) {
    const node = prompt[id];
    if (node === undefined) continue;
    const parts = Object.entries(node.inputs).sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, isLink(v) ? ['ANCESTOR', sig.get(v[0]), v[1]] : v]);
    const extra = node.class_type === 'LoadImage' ? statSync(join(inputDir, basename(String(node.inputs.image)))).mtimeMs : null;
    sig.set(id, createHash('sha256').update(JSON.stringify([node.class_type, parts, extra])).digest('hex'));
  }
  return sig;
}

/** The preview image every ProgressBar step sends (encoded once: it is only there to exercise the frame layout). */
let previewPng: Promise<Buffer> | undefined;

async function previewFrame(promptId: string, node: string, metadata: boolean): Promise<Buffer> {
  previewPng ??= sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
  const png = await previewPng;
  const head = Buffer.alloc(8);
  if (!metadata) {
    head.writeUInt32BE(1, 0);
    head.writeUInt32BE(2, 4);
    return Buffer.concat([head, png]);
  }
  const json = Buffer.from(JSON.stringify({ node_id: node, prompt_id: promptId, display_node_id: node, parent_node_id: null, real_node_id: node, image_type: 'image/png' }));
  head.writeUInt32BE(4, 0);
  head.writeUInt32BE(json.length, 4);
  return Buffer.concat([head, json, png]);
}

/** Runs one prompt, sending its messages to the prompt's client. */
export async function execute(item: QueueItem, h: RunHooks): Promise<ExecResult> {
  const sid = item.clientId;
  const res: ExecResult = { success: true, messages: [], outputs: {}, meta: {} };
  const add = (event: string, data: Record<string, unknown>): void => {
    const stamped = { ...data, timestamp: Date.now() };
    res.messages.push([event, stamped]);
    if (sid !== null) h.sendJson(event, stamped, sid);
  };
  const send = (event: string, data: unknown): void => { if (sid !== null) h.sendJson(event, data, sid); };
  const info = h.objectInfo();
  const order = executionOrder(item.prompt, item.outputs);
  const sig = signatures(item.prompt, order, h.dirs.inputDir);
  const values = new Map<string, unknown[]>();
  const states: Record<string, Record<string, unknown>> = {};
  const progressState = (id: string, value: number, max: number, st: string): void => {
    states[id] = { value, max, state: st, node_id: id, prompt_id: item.promptId, display_node_id: id, parent_node_id: null, real_node_id: id };
    send('progress_state', { prompt_id: item.promptId, nodes: states });
  };
  add('execution_start', { prompt_id: item.promptId });
  const cached = Object.keys(item.prompt).filter((id) => h.cache.has(sig.get(id) ?? ''));
  add('execution_cached', { nodes: cached, prompt_id: item.promptId });
  const executed: string[] = [];
  const ctx: NodeContext = { ...h.dirs, counters: h.counters };
  const keep = new Map<string, { ui?: Record<string, unknown[]>; outputs: unknown[] }>();
  for (const id of order) {
    const node = item.prompt[id];
    const def = node === undefined ? undefined : info[node.class_type];
    if (node === undefined || def === undefined) continue;
    const key = sig.get(id) ?? '';
    const hit = h.cache.get(key);
    if (hit !== undefined) {
      values.set(id, hit.outputs);
      keep.set(key, hit);
      if (hit.ui !== undefined) {
        res.outputs[id] = hit.ui;
        res.meta[id] = { node_id: id, display_node: id, parent_node: null, real_node_id: id };
        send('executed', { node: id, display_node: id, output: hit.ui, prompt_id: item.promptId });
        progressState(id, 1, 1, 'finished');
      }
      continue;
    }
    if (h.interrupted()) {
      add('execution_interrupted', { prompt_id: item.promptId, node_id: id, node_type: node.class_type, executed });
      res.success = false;
      break;
    }
    progressState(id, 0, 1, 'running');
    send('executing', { node: id, display_node: id, prompt_id: item.promptId });
    h.setLastNode(id);
    let interrupted = false;
    const ms = h.nodeMs();
    for (let step = 1; ms > 0 && step <= PROGRESS_STEPS; step++) {
      await work(ms / PROGRESS_STEPS, h.interrupted);
      if (h.interrupted()) { interrupted = true; break; }
      send('progress', { value: step, max: PROGRESS_STEPS, prompt_id: item.promptId, node: id });
      progressState(id, step, PROGRESS_STEPS, 'running');
      if (sid !== null) h.sendBinary(await previewFrame(item.promptId, id, h.wantsMetadata(sid)), sid);
    }
    if (interrupted) {
      add('execution_interrupted', { prompt_id: item.promptId, node_id: id, node_type: node.class_type, executed });
      res.success = false;
      break;
    }
    const inputs = Object.fromEntries(Object.entries(node.inputs).map(([k, v]) => [k, isLink(v) ? values.get(v[0])?.[v[1]] : v]));
    try {
      const r = await runNode(node.class_type, def, inputs, ctx, async (name) => {
        const meta = await sharp(join(h.dirs.inputDir, basename(name))).metadata();
        return { width: meta.width ?? 1, height: meta.height ?? 1 };
      });
      values.set(id, r.outputs);
      keep.set(key, r.ui === undefined ? { outputs: r.outputs } : { outputs: r.outputs, ui: r.ui });
      executed.push(id);
      if (r.ui !== undefined) {
        res.outputs[id] = r.ui;
        res.meta[id] = { node_id: id, display_node: id, parent_node: null, real_node_id: id };
        send('executed', { node: id, display_node: id, output: r.ui, prompt_id: item.promptId });
      }
      progressState(id, 1, 1, 'finished');
    } catch (e) {
      if (!(e instanceof NodeException)) throw e;
      add('execution_error', {
        prompt_id: item.promptId, node_id: id, node_type: node.class_type, executed,
        exception_message: e.message, exception_type: e.exceptionType,
        traceback: [`  File "fake-comfy/nodes.ts", in ${node.class_type}\n`],
        current_inputs: Object.fromEntries(Object.keys(node.inputs).map((k) => [k, [String(node.inputs[k])]])),
        current_outputs: order,
      });
      res.success = false;
      break;
    }
  }
  if (res.success) add('execution_success', { prompt_id: item.promptId });
  // Classic cache: only the entries of the current prompt survive (clean_unused).
  h.cache.clear();
  for (const [k, v] of keep) h.cache.set(k, v);
  h.setLastNode(null);
  return res;
}
