import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DpHyperLoraError } from '../../src/errors.js';
import { NODE_CATEGORY, type NodeDefinition } from '../../src/worker/node-definition.js';
import { NodeHost, type HostTransport } from '../../src/worker/node-host.js';
import { workerMessageSchema, type WorkerMessage } from '../../src/worker/protocol.js';
import { encodeTensorFrames, TensorReassembler } from '../../src/worker/tensor-frames.js';

function node(id: string, execute: NodeDefinition['execute']): NodeDefinition {
  return { id: `DPHyperLoRA_${id}`, displayName: id, category: NODE_CATEGORY, description: 'test node', inputs: [], outputs: [], outputNode: true, execute };
}

class Recorder implements HostTransport {
  readonly texts: WorkerMessage[] = [];
  readonly frames = new TensorReassembler();
  private waiters: Array<() => void> = [];
  sendText(m: WorkerMessage): void {
    this.texts.push(workerMessageSchema.parse(m));
    for (const w of this.waiters.splice(0)) w();
  }
  sendBinary(frame: Buffer): void { this.frames.push(frame); }
  async until(type: WorkerMessage['type']): Promise<WorkerMessage> {
    for (;;) {
      const m = this.texts.find((t) => t.type === type);
      if (m) return m;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
}

const settings = { ledgerPath: undefined, packDirs: [] };

test('execute decodes tensor inputs, reports progress and sends tensor outputs before the result', async () => {
  const doubler = node('Double', async (inputs, ctx) => {
    const v = inputs.x;
    assert.ok(v?.kind === 'tensor');
    ctx.progress(1, 2);
    const data = Uint8Array.from(v.tensor.data, (b) => b * 2);
    return { outputs: { y: { kind: 'tensor', tensor: { dtype: 'uint8', shape: v.tensor.shape, data } } }, ui: { text: ['done'] } };
  });
  const host = new NodeHost([doubler], { settings });
  const t = new Recorder();
  for (const f of encodeTensorFrames('c1', 'in0', Uint8Array.of(1, 2, 3, 4))) host.onBinary(f);
  host.onMessage({ type: 'execute', id: 'c1', node: 'DPHyperLoRA_Double', inputs: { x: { kind: 'tensor', tensor: { ref: 'in0', dtype: 'uint8', shape: [2, 2] } } } }, t);
  const result = await t.until('result');
  assert.deepEqual(t.texts[0], { type: 'progress', id: 'c1', value: 1, max: 2 });
  assert.ok(result.type === 'result');
  assert.deepEqual(result.ui, { text: ['done'] });
  const y = result.outputs.y;
  assert.ok(y?.kind === 'tensor');
  assert.deepEqual(y.tensor, { ref: 't0', dtype: 'uint8', shape: [2, 2] });
  assert.deepEqual([...t.frames.take('c1', 't0', 4)], [2, 4, 6, 8]);
});

test('cancel aborts the running call, which reports CANCELLED', async () => {
  const slow = node('Slow', (_inputs, ctx) => new Promise((_resolve, reject) => {
    ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
  }));
  const host = new NodeHost([slow], { settings, heartbeatMs: 5 });
  const t = new Recorder();
  host.onMessage({ type: 'execute', id: 'c2', node: 'DPHyperLoRA_Slow', inputs: {} }, t);
  await t.until('alive');
  host.onMessage({ type: 'cancel', id: 'c2' }, t);
  const err = await t.until('error');
  assert.deepEqual(err, { type: 'error', id: 'c2', code: 'CANCELLED', message: 'cancelled by ComfyUI (interrupt).' });
});

test('unexpected exceptions are reported without their text; expired handles carry a reason', async () => {
  const leaky = node('Leaky', async () => { throw new Error('ENOENT: /home/alice/private/secret_photo.png'); });
  const expired = node('Expired', async (_i, ctx) => { ctx.handles.get('DP_EMBEDDINGS', 'h_missing'); return { outputs: {} }; });
  const host = new NodeHost([leaky, expired], { settings });
  const t = new Recorder();
  host.onMessage({ type: 'execute', id: 'a', node: 'DPHyperLoRA_Leaky', inputs: {} }, t);
  const e1 = await t.until('error');
  assert.ok(e1.type === 'error');
  assert.equal(e1.code, 'INTERNAL');
  assert.ok(!e1.message.includes('secret_photo') && e1.message.startsWith('DPHyperLoRA_Leaky failed unexpectedly (Error); the details are withheld'));
  t.texts.length = 0;
  host.onMessage({ type: 'execute', id: 'b', node: 'DPHyperLoRA_Expired', inputs: {} }, t);
  const e2 = await t.until('error');
  assert.ok(e2.type === 'error' && e2.code === 'WORKER_UNAVAILABLE' && e2.reason === 'handle_expired');
});

test('an unknown node and a reference to a tensor never sent are PROTOCOL errors', async () => {
  const host = new NodeHost([node('Any', async () => ({ outputs: {} }))], { settings });
  const t = new Recorder();
  host.onMessage({ type: 'execute', id: 'u', node: 'DPHyperLoRA_Nope', inputs: {} }, t);
  const e = await t.until('error');
  assert.ok(e.type === 'error' && e.code === 'PROTOCOL' && e.message.startsWith('unknown node "DPHyperLoRA_Nope"'));
  t.texts.length = 0;
  host.onMessage({ type: 'execute', id: 'v', node: 'DPHyperLoRA_Any', inputs: { x: { kind: 'tensor', tensor: { ref: 'zz', dtype: 'float32', shape: [3] } } } }, t);
  const e2 = await t.until('error');
  assert.ok(e2.type === 'error' && e2.code === 'PROTOCOL' && e2.message.includes('"zz" was referenced but never sent'));
});

test('DpHyperLoraError messages pass through unchanged', async () => {
  const host = new NodeHost([node('Budget', async () => { throw new DpHyperLoraError('BUDGET_EXHAUSTED', 'no budget left; raise it with dp-hyperlora ledger budget.'); })], { settings });
  const t = new Recorder();
  host.onMessage({ type: 'execute', id: 'x', node: 'DPHyperLoRA_Budget', inputs: {} }, t);
  assert.deepEqual(await t.until('error'), { type: 'error', id: 'x', code: 'BUDGET_EXHAUSTED', message: 'no budget left; raise it with dp-hyperlora ledger budget.' });
});

test('a node that reads private data gets no computeMs in its result (its time grows with n); others do', async () => {
  const run = async (readsPrivateData: boolean): Promise<WorkerMessage> => {
    const def = { ...node('Timed', async () => ({ outputs: {} })), ...(readsPrivateData ? { readsPrivateData } : {}) };
    const host = new NodeHost([def], { settings });
    const t = new Recorder();
    host.onMessage({ type: 'execute', id: 'c9', node: 'DPHyperLoRA_Timed', inputs: {} }, t);
    return t.until('result');
  };
  const privateResult = await run(true);
  const publicResult = await run(false);
  assert.ok(privateResult.type === 'result' && publicResult.type === 'result');
  assert.equal(privateResult.computeMs, undefined);
  assert.equal(typeof publicResult.computeMs, 'number');
});
