// Golden bytes: every expected file is built here by hand from the format specification
// (8-byte LE u64 header length, compact JSON header padded with spaces to a multiple of 8, raw LE data),
// independently of the writer's code, and compared byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeSafetensors } from '../../src/lora/safetensors-writer.js';
import { parseSafetensors } from '../../src/lora/safetensors-reader.js';
import { isDpError } from '../../src/errors.js';
import { decodeFloats } from '../../src/lora/dtype.js';

function u64le(n: number): number[] {
  const out: number[] = [];
  let v = n;
  for (let i = 0; i < 8; i++) {
    out.push(v % 256);
    v = Math.floor(v / 256);
  }
  return out;
}

function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}

/** Header bytes: the JSON text plus spaces up to a multiple of 8, prefixed by its padded length. */
function header(json: string): number[] {
  const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
  return [...u64le(padded.length), ...ascii(padded)];
}

test('golden: empty file is "{}" padded to 8 bytes (as the reference writes it)', () => {
  const got = serializeSafetensors([]);
  assert.deepEqual([...got], [8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 32, 32, 32, 32, 32, 32]);
});

test('golden: one F32 [1,2,3] tensor', () => {
  const got = serializeSafetensors([{ name: 'attn.0', dtype: 'F32', shape: [1, 2, 3], values: Float32Array.of(0, 1, 2, 3, 4, 5) }]);
  const json = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  assert.equal(json.length, 64, 'already a multiple of 8: no padding');
  // 0, 1, 2, 3, 4, 5 as float32 LE: 0x00000000 0x3f800000 0x40000000 0x40400000 0x40800000 0x40a00000
  const data = [0, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40, 0, 0, 0xa0, 0x40];
  assert.deepEqual([...got], [...header(json), ...data]);
});

test('golden: mixed dtypes, 0-dim alpha, metadata first with sorted keys, F32 before BF16 before F16', () => {
  const got = serializeSafetensors(
    [
      { name: 'b.lora_up.weight', dtype: 'F16', shape: [2, 1], values: Float32Array.of(1, -2) },
      { name: 'b.alpha', dtype: 'F32', shape: [], values: Float32Array.of(4) },
      { name: 'a.lora_down.weight', dtype: 'BF16', shape: [1, 2], values: Float32Array.of(0.5, 1) },
      { name: 'a.alpha', dtype: 'F32', shape: [], values: Float32Array.of(1) },
    ],
    { z: 'last', a: 'first "quoted"' },
  );
  const json = '{"__metadata__":{"a":"first \\"quoted\\"","z":"last"},' +
    '"a.alpha":{"dtype":"F32","shape":[],"data_offsets":[0,4]},' +
    '"b.alpha":{"dtype":"F32","shape":[],"data_offsets":[4,8]},' +
    '"a.lora_down.weight":{"dtype":"BF16","shape":[1,2],"data_offsets":[8,12]},' +
    '"b.lora_up.weight":{"dtype":"F16","shape":[2,1],"data_offsets":[12,16]}}';
  const data = [
    0, 0, 0x80, 0x3f, // 1.0 f32
    0, 0, 0x80, 0x40, // 4.0 f32
    0x00, 0x3f, 0x80, 0x3f, // 0.5, 1.0 bf16
    0x00, 0x3c, 0x00, 0xc0, // 1.0, -2.0 f16
  ];
  const expected = [...header(json), ...data];
  assert.equal((expected.length - data.length - 8) % 8, 0);
  assert.deepEqual([...got], expected);
});

test('writer is deterministic: input order does not change the bytes', () => {
  const a = { name: 'x', dtype: 'F32' as const, shape: [2], values: Float32Array.of(1, 2) };
  const b = { name: 'y', dtype: 'F16' as const, shape: [1], values: Float32Array.of(3) };
  assert.deepEqual(serializeSafetensors([a, b], { k: 'v', j: 'w' }), serializeSafetensors([b, a], { j: 'w', k: 'v' }));
});

test('round trip: F32/F16/BF16, 0-dim and empty tensors, unicode names and metadata', () => {
  const tensors = [
    { name: 'f32', dtype: 'F32' as const, shape: [2, 3], values: Float32Array.of(1.5, -2.25, 3, 0, -0, 1e-30) },
    { name: 'f16', dtype: 'F16' as const, shape: [3], values: Float32Array.of(0.5, -65504, 2 ** -24) },
    { name: 'bf16', dtype: 'BF16' as const, shape: [1, 2], values: Float32Array.of(-3.140625, 256) },
    { name: 'alpha', dtype: 'F32' as const, shape: [], values: Float32Array.of(8) },
    { name: 'empty', dtype: 'F32' as const, shape: [0, 4], values: new Float32Array(0) },
    { name: 'ünï\u{1F600}', dtype: 'F32' as const, shape: [1], values: Float32Array.of(7) },
  ];
  const file = parseSafetensors(serializeSafetensors(tensors, { note: 'é\n"' }));
  assert.deepEqual({ ...file.metadata }, { note: 'é\n"' });
  assert.equal(file.tensors.length, tensors.length);
  for (const t of tensors) {
    const got = file.tensors.find((x) => x.name === t.name);
    assert.ok(got, t.name);
    assert.equal(got.dtype, t.dtype);
    assert.deepEqual(got.shape, t.shape);
    // All chosen values are exactly representable in their dtype, so the round trip is exact (signed zero included).
    const decoded = [...decodeFloats(got.bytes, got.dtype)];
    assert.deepEqual(decoded.map((v) => (Object.is(v, -0) ? '-0' : v)), [...t.values].map((v) => (Object.is(v, -0) ? '-0' : v)));
  }
});

test('writer refuses bad input with INVALID_ARGUMENT, listing every problem', () => {
  assert.throws(
    () => serializeSafetensors([
      { name: 'x', dtype: 'F32', shape: [2], values: Float32Array.of(1) },
      { name: 'x', dtype: 'F32', shape: [1], values: Float32Array.of(1) },
      { name: '__metadata__', dtype: 'F32', shape: [-1], values: Float32Array.of(1) },
    ]),
    (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') &&
      e.message === 'safetensors writer: tensor "x" has shape [2] (2 values) but 1 values; tensor "x" appears twice; ' +
        'the tensor name "__metadata__" is reserved or empty; tensor "__metadata__" has shape [-1]; dimensions must be non-negative integers',
  );
});

test('writer refuses an empty name, a non-float dtype, multi-axis bad shapes and non-string metadata, each named', () => {
  assert.throws(
    () => serializeSafetensors([
      { name: '', dtype: 'F32', shape: [1], values: Float32Array.of(1) },
      { name: 'd', dtype: 'F64' as 'F32', shape: [1], values: Float32Array.of(1) },
      { name: 's', dtype: 'F32', shape: [2, 3], values: Float32Array.of(1) },
      { name: 'n', dtype: 'F32', shape: [2, -3], values: Float32Array.of(1) },
    ], { ok: 'yes', bad: 7 as unknown as string }),
    (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') &&
      e.message === 'safetensors writer: the tensor name "" is reserved or empty; tensor "d" has dtype F64; use F32, F16 or BF16; ' +
        'tensor "s" has shape [2, 3] (6 values) but 1 values; tensor "n" has shape [2, -3]; dimensions must be non-negative integers; ' +
        'metadata "bad" must be a string',
  );
});

test('names are ordered by their UTF-8 bytes: a prefix first, later bytes decide, astral after private-use', () => {
  const t = (name: string) => ({ name, dtype: 'F32' as const, shape: [1], values: Float32Array.of(1) });
  const names = ['m.b', 'm', 'm.a', '\u{10000}', '\uE000', 'ab', 'a'];
  const file = parseSafetensors(serializeSafetensors(names.map(t)));
  // Offsets follow the writer's order, so sorting by offset shows it.
  assert.deepEqual(file.tensors.map((x) => x.name), ['a', 'ab', 'm', 'm.a', 'm.b', '\uE000', '\u{10000}']);
});
