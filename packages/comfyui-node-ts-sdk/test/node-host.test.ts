// The SDK's node host and manifest exporter with their generic defaults (the first user's hooks are tested in
// its own test/worker): results with tensors first, default error reports, timing withheld on request, and the
// manifest's checks against a pack's prefix and category.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildNodeManifest,
  encodeTensorFrames,
  isNodeSdkError,
  NodeHost,
  TensorReassembler,
  workerMessageSchema,
  type HostTransport,
  type NodeDefinition,
  type WorkerMessage,
} from '../src/index.js';

const PACK = { idPrefix: 'Test_', category: 'Test', version: '1.2.3' };

function node(id: string, execute: NodeDefinition['execute'], extra: Partial<NodeDefinition> = {}): NodeDefinition {
  return { id: `Test_${id}`, displayName: id, category: 'Test', description: 'a test node', inputs: [], outputs: [], outputNode: true, execute, ...extra };
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

test('a node gets its decoded tensor and its result goes back as frames, with its compute time by default', async () => {
  const negate = node('Negate', async (inputs) => {
    const v = inputs.x;
    assert.ok(v?.kind === 'tensor');
    return { outputs: { y: { kind: 'tensor', tensor: { ...v.tensor, data: v.tensor.data.map((b) => 255 - b) } } } };
  });
  const host = new NodeHost([negate], { settings: undefined });
  const t = new Recorder();
  for (const f of encodeTensorFrames('c1', 'in', Uint8Array.of(0, 1, 254))) host.onBinary(f);
  host.onMessage({ type: 'execute', id: 'c1', node: 'Test_Negate', inputs: { x: { kind: 'tensor', tensor: { ref: 'in', dtype: 'uint8', shape: [3] } } } }, t);
  const r = await t.until('result');
  assert.ok(r.type === 'result' && typeof r.computeMs === 'number');
  assert.deepEqual([...t.frames.take('c1', 't0', 3)], [255, 254, 1]);
});

test('by default an SDK error keeps its code and message, anything else is INTERNAL without its text; timing can be withheld', async () => {
  const leaky = node('Leaky', async () => { throw new Error('/home/someone/photo.png'); });
  const expired = node('Expired', async (_i, ctx) => { ctx.handles.get('THING', 'nope'); return { outputs: {} }; });
  const quiet = node('Quiet', async () => ({ outputs: {} }), { description: 'withholds its timing' });
  const host = new NodeHost([leaky, expired, quiet], { settings: undefined, reportsTiming: (n) => n.description !== 'withholds its timing' });
  const t = new Recorder();
  host.onMessage({ type: 'execute', id: 'a', node: 'Test_Leaky', inputs: {} }, t);
  const e1 = await t.until('error');
  assert.ok(e1.type === 'error' && e1.code === 'INTERNAL' && !e1.message.includes('photo') && e1.message.startsWith('Test_Leaky failed unexpectedly (Error)'));
  t.texts.length = 0;
  host.onMessage({ type: 'execute', id: 'b', node: 'Test_Expired', inputs: {} }, t);
  const e2 = await t.until('error');
  assert.ok(e2.type === 'error' && e2.code === 'HANDLE_EXPIRED' && e2.reason === 'handle_expired');
  t.texts.length = 0;
  host.onMessage({ type: 'execute', id: 'c', node: 'Test_Quiet', inputs: {} }, t);
  const r = await t.until('result');
  assert.ok(r.type === 'result' && !('computeMs' in r));
});

test('the manifest holds the data half only, drops worker-only keys, and lists every rule a node breaks', () => {
  const ok = node('Fine', async () => ({ outputs: {} }));
  const m = buildNodeManifest([{ ...ok, secret: true } as NodeDefinition], { ...PACK, workerOnlyKeys: ['secret'] });
  assert.deepEqual(m, { format: 'comfyui-node-ts-sdk/nodes', formatVersion: 1, protocol: 1, version: '1.2.3',
    nodes: [{ id: 'Test_Fine', displayName: 'Fine', category: 'Test', description: 'a test node', inputs: [], outputs: [], outputNode: true }] });
  const bad = node('Bad', async () => ({ outputs: {} }), { id: 'Other_Bad', category: 'Elsewhere', outputNode: false,
    inputs: [{ kind: 'STRING', name: 'Name', default: '', tooltip: '' }] });
  assert.throws(() => buildNodeManifest([bad], PACK), (e) => isNodeSdkError(e) && e.code === 'INTERNAL'
    && e.message === 'node definitions are invalid: Other_Bad: id must start with Test_; Other_Bad: category must be "Test"; '
      + 'Other_Bad.Name: input names are lower-case Python identifiers; Other_Bad.Name: tooltip is empty; Other_Bad: a node without outputs must be an output node');
});
