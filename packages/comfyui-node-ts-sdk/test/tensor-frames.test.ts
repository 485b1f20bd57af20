import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decodeTensorFrame, encodeTensorFrames, isNodeSdkError, TENSOR_FILE_MIN_BYTES, TENSOR_FILE_PATTERN, TensorReassembler, type TensorFileChannel } from '../src/index.js';

function bytes(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
}

const protocol = (start: string) => (e: unknown): boolean => isNodeSdkError(e) && e.code === 'PROTOCOL' && e.message.startsWith(`tensor frame: ${start}`);

/** An in-memory file channel: the same contract as a shared-memory folder (write once, read once and delete). */
class MemoryFiles implements TensorFileChannel {
  readonly files = new Map<string, Uint8Array>();
  constructor(readonly enabled: boolean) {}
  write(_id: string, data: Uint8Array): string {
    const name = `${randomBytes(16).toString('hex')}.t`;
    this.files.set(name, data.slice());
    return name;
  }
  read(name: string, total: number): Uint8Array {
    const data = this.files.get(name);
    assert.ok(data !== undefined && data.byteLength === total, `file ${name} holds ${total} bytes`);
    this.files.delete(name);
    return data;
  }
}

test('a frame is a big-endian header length, a JSON header and the chunk', () => {
  const [frame] = encodeTensorFrames('c1', 't0', Uint8Array.of(9, 8, 7));
  assert.ok(frame);
  const header = '{"id":"c1","ref":"t0","offset":0,"total":3}';
  assert.deepEqual([...frame.subarray(0, 4)], [0, 0, 0, header.length]);
  assert.equal(frame.subarray(4, 4 + header.length).toString('utf8'), header);
  assert.deepEqual([...frame.subarray(4 + header.length)], [9, 8, 7]);
});

test('large tensors are chunked and reassembled byte for byte, in any chunk order; empty ones are one frame', () => {
  const data = bytes(10_001);
  const frames = encodeTensorFrames('call', 'img', data, 4096);
  assert.deepEqual(frames.map((f) => decodeTensorFrame(f).header.offset), [0, 4096, 8192]);
  const r = new TensorReassembler();
  for (const f of [...frames].reverse()) r.push(f);
  assert.deepEqual(r.take('call', 'img', 10_001), data);
  const empty = encodeTensorFrames('c', 'e', new Uint8Array(0));
  assert.equal(empty.length, 1);
  r.push(empty[0] as Buffer);
  assert.equal(r.take('c', 'e', 0).byteLength, 0);
});

test('with an agreed file channel a large tensor travels as one header-only frame and its file is consumed', () => {
  const files = new MemoryFiles(true);
  const data = bytes(TENSOR_FILE_MIN_BYTES);
  const frames = encodeTensorFrames('c', 'big', data, 4096, files);
  assert.equal(frames.length, 1);
  const { header, payload } = decodeTensorFrame(frames[0] as Buffer);
  assert.equal(payload.byteLength, 0);
  assert.match(header.file ?? '', TENSOR_FILE_PATTERN);
  const r = new TensorReassembler();
  r.push(frames[0] as Buffer, files);
  assert.deepEqual(r.take('c', 'big', data.byteLength), data);
  assert.equal(files.files.size, 0);
  assert.equal(encodeTensorFrames('c', 'small', bytes(TENSOR_FILE_MIN_BYTES - 1), 1 << 20, files).length, 1);
  assert.equal(files.files.size, 0, 'a tensor under the threshold stays inline');
  assert.equal(encodeTensorFrames('c', 'off', data, 1 << 15, new MemoryFiles(false)).length, 2, 'a channel not agreed is not used');
  assert.throws(() => new TensorReassembler().push(frames[0] as Buffer), protocol('a file frame arrived, but a file channel was not agreed'));
});

test('missing, partial and oversized tensors are PROTOCOL errors', () => {
  const r = new TensorReassembler(100);
  assert.throws(() => r.take('c', 'x', 4), protocol('tensor "x" was referenced but never sent'));
  r.push(encodeTensorFrames('c', 'p', bytes(64), 32)[0] as Buffer);
  assert.throws(() => r.take('c', 'p', 64), protocol('tensor "p" has 32 of 64 bytes'));
  assert.throws(() => r.push(encodeTensorFrames('c', 'big', bytes(101))[0] as Buffer), protocol('more than 100 bytes'));
});

test('damaged frames are refused with a PROTOCOL error, never a crash', () => {
  const good = encodeTensorFrames('c', 't', bytes(16))[0] as Buffer;
  const runPast = Buffer.from(good);
  runPast.write('{"id":"c","ref":"t","offset":9,"total":16}', 4);
  const cases = [Buffer.alloc(2), Buffer.from([0, 0, 0x10, 0]), Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('{x')]), runPast];
  for (const c of cases) assert.throws(() => new TensorReassembler().push(c), protocol(''));
});

test('dropCall frees a cancelled call\'s partial tensors', () => {
  const r = new TensorReassembler(64);
  r.push(encodeTensorFrames('gone', 'a', bytes(64), 16)[0] as Buffer);
  r.dropCall('gone');
  r.push(encodeTensorFrames('next', 'a', bytes(64))[0] as Buffer);
  assert.equal(r.take('next', 'a', 64).byteLength, 64);
});
