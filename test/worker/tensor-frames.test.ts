import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDpError } from '../../src/errors.js';
import { decodeTensorFrame, encodeTensorFrames, TensorReassembler } from '../../src/worker/tensor-frames.js';

function bytes(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
}

test('a frame is a big-endian header length, a JSON header and the chunk', () => {
  const [frame] = encodeTensorFrames('c1', 't0', Uint8Array.of(9, 8, 7));
  assert.ok(frame);
  const header = '{"id":"c1","ref":"t0","offset":0,"total":3}';
  assert.deepEqual([...frame.subarray(0, 4)], [0, 0, 0, header.length]);
  assert.equal(frame.subarray(4, 4 + header.length).toString('utf8'), header);
  assert.deepEqual([...frame.subarray(4 + header.length)], [9, 8, 7]);
});

test('large tensors are chunked and reassembled byte for byte, in any chunk order', () => {
  const data = bytes(10_001);
  const frames = encodeTensorFrames('call', 'img', data, 4096);
  assert.equal(frames.length, 3);
  assert.deepEqual(frames.map((f) => decodeTensorFrame(f).header.offset), [0, 4096, 8192]);
  const r = new TensorReassembler();
  for (const f of [...frames].reverse()) r.push(f);
  assert.deepEqual(r.take('call', 'img', 10_001), data);
});

test('an empty tensor is one frame and takes as zero bytes', () => {
  const frames = encodeTensorFrames('c', 'e', new Uint8Array(0));
  assert.equal(frames.length, 1);
  const r = new TensorReassembler();
  r.push(frames[0] as Buffer);
  assert.equal(r.take('c', 'e', 0).byteLength, 0);
});

test('missing, partial and oversized tensors are PROTOCOL errors', () => {
  const r = new TensorReassembler(100);
  assert.throws(() => r.take('c', 'x', 4), (e: unknown) => isDpError(e, 'PROTOCOL') && e.message.startsWith('tensor frame: tensor "x" was referenced but never sent'));
  const [first] = encodeTensorFrames('c', 'p', bytes(64), 32);
  r.push(first as Buffer);
  assert.throws(() => r.take('c', 'p', 64), (e: unknown) => isDpError(e, 'PROTOCOL') && e.message.startsWith('tensor frame: tensor "p" has 32 of 64 bytes'));
  assert.throws(() => r.push(encodeTensorFrames('c', 'big', bytes(101))[0] as Buffer), (e: unknown) => isDpError(e, 'PROTOCOL') && e.message.includes('more than 100 bytes'));
});

test('damaged frames are refused with a PROTOCOL error, never a crash', () => {
  const good = encodeTensorFrames('c', 't', bytes(16))[0] as Buffer;
  const cases: Buffer[] = [Buffer.alloc(2), Buffer.from([0, 0, 0x10, 0]), Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('{x')])];
  const runPast = Buffer.from(good);
  runPast.write('{"id":"c","ref":"t","offset":9,"total":16}', 4);
  cases.push(runPast);
  for (const c of cases) assert.throws(() => new TensorReassembler().push(c), (e: unknown) => isDpError(e, 'PROTOCOL'));
});

test('dropCall frees a cancelled call\'s partial tensors', () => {
  const r = new TensorReassembler(64);
  r.push(encodeTensorFrames('gone', 'a', bytes(64), 16)[0] as Buffer);
  r.dropCall('gone');
  r.push(encodeTensorFrames('next', 'a', bytes(64))[0] as Buffer);
  assert.equal(r.take('next', 'a', 64).byteLength, 64);
});
