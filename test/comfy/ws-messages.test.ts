import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DpHyperLoraError } from '../../src/errors.js';
import { parseWsBinary } from '../../src/comfy/ws-binary.js';
import { parseWsText, WS_DATA_SCHEMAS } from '../../src/comfy/ws-messages.js';

const TAIL = ' This client speaks the ComfyUI 0.3.x /ws protocol; check that the --server URL points at ComfyUI and that its version is supported.';
const pid = 'a1b2';

const valid: Record<keyof typeof WS_DATA_SCHEMAS, unknown> = {
  status: { status: { exec_info: { queue_remaining: 0 } }, sid: 'abc' },
  feature_flags: { supports_preview_metadata: true, max_upload_size: 104857600 },
  execution_start: { prompt_id: pid, timestamp: 1 },
  execution_cached: { nodes: ['1'], prompt_id: pid, timestamp: 1 },
  executing: { node: null, prompt_id: pid },
  progress: { value: 3, max: 20, prompt_id: pid, node: '3' },
  progress_state: { prompt_id: pid, nodes: { 3: { value: 3, max: 20, state: 'running', node_id: '3', prompt_id: pid, display_node_id: '3', parent_node_id: null, real_node_id: '3' } } },
  executed: { node: '9', display_node: '9', output: { images: [{ filename: 'a.png', subfolder: '', type: 'output' }] }, prompt_id: pid },
  execution_success: { prompt_id: pid, timestamp: 1 },
  execution_error: { prompt_id: pid, node_id: '3', node_type: 'KSampler', executed: [], exception_message: 'x', exception_type: 'RuntimeError', traceback: [], current_inputs: {}, current_outputs: [], timestamp: 1 },
  execution_interrupted: { prompt_id: pid, node_id: '3', node_type: 'KSampler', executed: ['1'], timestamp: 1 },
};

function protocolError(message: string): (e: unknown) => boolean {
  return (e) => e instanceof DpHyperLoraError && e.code === 'COMFY_PROTOCOL' && e.message === message;
}

test('every documented message type parses, keeping its type and data', () => {
  for (const [type, data] of Object.entries(valid)) {
    assert.deepEqual(parseWsText(JSON.stringify({ type, data })), { type, data });
  }
});

test('executing on reconnect ({node} alone) is valid; unknown event types pass through as other', () => {
  assert.deepEqual(parseWsText('{"type":"executing","data":{"node":"5"}}'), { type: 'executing', data: { node: '5' } });
  assert.deepEqual(parseWsText('{"type":"crystools.monitor","data":{"cpu":3}}'), { type: 'other', name: 'crystools.monitor', data: { cpu: 3 } });
});

test('malformed frames are rejected with COMFY_PROTOCOL naming every problem', () => {
  assert.throws(() => parseWsText('{not json'), (e: unknown) => e instanceof DpHyperLoraError && e.code === 'COMFY_PROTOCOL' && e.message.startsWith('ComfyUI sent a malformed text frame on /ws: not JSON ('));
  assert.throws(() => parseWsText('{"data":{}}'), protocolError(`ComfyUI sent a malformed text frame on /ws: expected {type: string, data}: type: Invalid input: expected string, received undefined.${TAIL}`));
  assert.throws(() => parseWsText('{"type":"progress","data":{"value":"3","prompt_id":"p","node":"3"}}'),
    protocolError(`ComfyUI sent a malformed "progress" message on /ws: value: Invalid input: expected number, received string; max: Invalid input: expected number, received undefined.${TAIL}`));
  assert.throws(() => parseWsText('{"type":"status","data":{"status":{"exec_info":{"queue_remaining":-1}}}}'),
    protocolError(`ComfyUI sent a malformed "status" message on /ws: status.exec_info.queue_remaining: Too small: expected number to be >=0.${TAIL}`));
});

test('a malformed message names its prompt so that only that job fails', () => {
  assert.throws(() => parseWsText('{"type":"execution_success","data":{"prompt_id":"p9"}}'), (e: unknown) =>
    e instanceof DpHyperLoraError && e.details?.prompt_id === 'p9');
});

function frame(...parts: (number | Buffer)[]): Buffer {
  return Buffer.concat(parts.map((p) => { if (typeof p !== 'number') return p; const b = Buffer.alloc(4); b.writeUInt32BE(p); return b; }));
}

test('binary frames: big-endian uint32 event type, then the documented layout', () => {
  const img = Buffer.from([0xff, 0xd8, 0xff]);
  assert.deepEqual(parseWsBinary(frame(1, 1, img)), { kind: 'preview_image', mime: 'image/jpeg', image: img });
  assert.deepEqual(parseWsBinary(frame(3, 2, Buffer.from('12'), Buffer.from('héllo'))), { kind: 'text', nodeId: '12', text: 'héllo' });
  const meta = { node_id: '3', prompt_id: pid, display_node_id: '3', parent_node_id: null, real_node_id: '3', image_type: 'image/png' };
  const json = Buffer.from(JSON.stringify(meta));
  assert.deepEqual(parseWsBinary(frame(4, json.length, json, img)), { kind: 'preview_image_with_metadata', metadata: meta, image: img });
  assert.deepEqual(parseWsBinary(frame(9, img)), { kind: 'other', eventType: 9, payload: img });
});

test('truncated or inconsistent binary frames are rejected with COMFY_PROTOCOL', () => {
  const tail = ' This client speaks the ComfyUI 0.3.x /ws protocol; check that the --server URL points at ComfyUI and that its version is supported.';
  assert.throws(() => parseWsBinary(Buffer.from([0, 0])), protocolError(`ComfyUI sent a malformed binary /ws frame: 2 bytes is too short for the event type (needs 4).${tail}`));
  assert.throws(() => parseWsBinary(frame(1, 7)), protocolError(`ComfyUI sent a malformed binary /ws frame: preview image type 7 is neither 1 (JPEG) nor 2 (PNG).${tail}`));
  assert.throws(() => parseWsBinary(frame(3, 50, Buffer.from('x'))), protocolError(`ComfyUI sent a malformed binary /ws frame: text frame node-id length 50 runs past the frame end (9 bytes).${tail}`));
  const bad = Buffer.from('{"node_id":3}');
  assert.throws(() => parseWsBinary(frame(4, bad.length, bad)), (e: unknown) => e instanceof DpHyperLoraError && e.code === 'COMFY_PROTOCOL' &&
    e.message.startsWith('ComfyUI sent a malformed binary /ws frame: preview metadata: node_id: Invalid input: expected string, received number; prompt_id:'));
});
