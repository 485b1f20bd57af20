import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseSafetensors } from '../../src/lora/safetensors-reader.js';
import { decodeFloats } from '../../src/lora/dtype.js';
import { isDpError } from '../../src/errors.js';

/** A file with the given header text (unpadded) and data bytes; `declared` overrides the length field. */
function craft(json: string, data: number | Uint8Array = 0, declared?: bigint): Uint8Array {
  const h = new TextEncoder().encode(json);
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

function rejects(bytes: Uint8Array, message: string, maxHeaderBytes?: number): void {
  assert.throws(
    () => parseSafetensors(bytes, maxHeaderBytes === undefined ? {} : { maxHeaderBytes }),
    (e: unknown) => {
      assert.ok(isDpError(e, 'SAFETENSORS_INVALID'), `expected SAFETENSORS_INVALID, got ${String(e)}`);
      assert.equal(e.message, `safetensors: ${message}`);
      return true;
    },
  );
}

const T = (name: string, dtype: string, shape: string, begin: number, end: number): string =>
  `"${name}":{"dtype":"${dtype}","shape":${shape},"data_offsets":[${begin},${end}]}`;

test('reads a file written by the Python-side reference writer (json.dumps spacing, unpadded order)', () => {
  // Made with /work/shared/tools/real-comfyui/shims/safetensors (torch save_file): see test/fixtures/lora/README.md.
  const bytes = readFileSync(new URL('../fixtures/lora/python-written.safetensors', import.meta.url));
  const file = parseSafetensors(bytes);
  assert.deepEqual({ ...file.metadata }, { origin: 'python' });
  assert.deepEqual(file.tensors.map((t) => [t.name, t.dtype, t.shape]), [
    ['m.lora_down.weight', 'F32', [2, 3]],
    ['m.lora_up.weight', 'F16', [3, 2]],
    ['m.alpha', 'F32', []],
    ['m.b', 'BF16', [2]],
  ]);
  const [down, up, alpha, b] = file.tensors;
  assert.deepEqual([...decodeFloats(down!.bytes, 'F32')], [0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...decodeFloats(up!.bytes, 'F16')], [-1, 0.5, 0.25, 2, -0.125, 1024]);
  assert.deepEqual([...decodeFloats(alpha!.bytes, 'F32')], [4]);
  assert.deepEqual([...decodeFloats(b!.bytes, 'BF16')], [1.5, -3]);
});

test('accepts tensors listed out of offset order, any JSON whitespace, and an unpadded header', () => {
  const json = `{ ${T('b', 'F32', '[1]', 4, 8)} ,\n\t${T('a', 'F32', '[1]', 0, 4)} }`;
  const data = Uint8Array.of(0, 0, 0x80, 0x3f, 0, 0, 0, 0x40);
  const file = parseSafetensors(craft(json, data));
  assert.deepEqual(file.tensors.map((t) => t.name), ['a', 'b']);
  assert.equal(file.metadata, undefined);
  assert.deepEqual([...decodeFloats(file.tensors[1]!.bytes, 'F32')], [2]);
});

test('file-level damage: too short, header length beyond the file or the cap', () => {
  rejects(new Uint8Array(5), 'the file is 5 bytes, shorter than the 8-byte header length; it is truncated or not a safetensors file');
  rejects(craft('{}', 0, 3n), 'the header length field says 3 bytes but only 2 follow it; the file is truncated');
  rejects(craft('{}', 0, 2n ** 64n - 1n),
    'the header length field says 18446744073709551615 bytes, more than the limit of 100000000; the file is damaged or not a safetensors file');
  rejects(craft('{"a":{}}'), 'the header length field says 8 bytes, more than the limit of 4; the file is damaged or not a safetensors file', 4);
  rejects(craft('{', 0), 'the header is 1 bytes, too short to hold a JSON object');
});

test('header text damage: UTF-8, start, syntax, trailing garbage', () => {
  const badUtf8 = craft('{}  ');
  badUtf8[9] = 0xff;
  rejects(badUtf8, 'the header is not valid UTF-8');
  rejects(craft(' {}'), 'malformed header: the header does not start with "{"');
  rejects(craft('{}x'), 'malformed header: unexpected data after the header\'s closing brace at character 2');
  rejects(craft('{} {}'), 'malformed header: unexpected data after the header\'s closing brace at character 3');
  rejects(craft('{"a":{"dtype":"F32","shape":[12'), 'malformed header: tensor "a".shape: expected "," or "]" at character 31, found the end of the header');
  rejects(craft('{"a" 1}'), 'malformed header: expected ":" at character 5, found "1"');
  rejects(craft('{"a":{"dtype":"F32"'), 'malformed header: expected "," or "}" at character 19, found the end of the header');
  rejects(craft('{"a'), 'malformed header: unterminated string starting at character 1');
  rejects(craft('{"a\\x":{}}'), 'malformed header: invalid escape in the string starting at character 1');
  rejects(craft('{"a\u0001":{}}'), 'malformed header: control character inside a string at character 3');
  rejects(craft('{"a":1}'), 'malformed header: expected "{" at character 5, found "1"');
});

test('header structure damage: duplicates, unknown or missing fields, wrong types, bad numbers', () => {
  rejects(craft(`{${T('a', 'F32', '[]', 0, 4)},${T('a', 'F32', '[]', 4, 8)}}`, 8), 'malformed header: duplicate key "a" in the header');
  rejects(craft('{"__metadata__":{"k":"1","k":"2"}}'), 'malformed header: duplicate key "k" in __metadata__');
  rejects(craft('{"__metadata__":{"k":1}}'), 'malformed header: __metadata__["k"] must be a string (at character 21, found "1")');
  rejects(craft('{"a":{"dtype":"F32","dtype":"F16","shape":[],"data_offsets":[0,4]}}', 4), 'malformed header: tensor "a" has a duplicate field "dtype"');
  rejects(craft('{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"offsets":[0,4]}}', 4),
    'malformed header: tensor "a" has an unknown field "offsets" (allowed: dtype, shape, data_offsets)');
  rejects(craft('{"a":{"dtype":"F32"}}'), 'malformed header: tensor "a" lacks shape, data_offsets');
  rejects(craft('{"a":{"dtype":"F32","shape":[],"data_offsets":[0]}}'), 'malformed header: tensor "a".data_offsets must hold exactly two integers [begin, end]');
  rejects(craft('{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}'), 'malformed header: tensor "a".shape must hold non-negative integers (at character 29, found "1")');
  rejects(craft('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}'), 'malformed header: tensor "a".shape must hold non-negative integers (at character 29, found "-")');
  rejects(craft('{"a":{"dtype":"F32","shape":[01],"data_offsets":[0,4]}}'), 'malformed header: tensor "a".shape: number with a leading zero at character 29');
  rejects(craft('{"a":{"dtype":"F32","shape":[9007199254740992],"data_offsets":[0,4]}}'),
    'malformed header: tensor "a".shape: the number 9007199254740992 is too large');
  rejects(craft('{"a":{"dtype":7,"shape":[],"data_offsets":[0,4]}}'), 'malformed header: tensor "a".dtype must be a string (at character 14, found "7")');
});

test('table damage: dtype, sizes, overflow, gaps, overlaps, range, coverage (all problems at once)', () => {
  rejects(craft(`{${T('a', 'F17', '[1]', 0, 4)}}`, 4), '1 problem(s) in the tensor table: tensor "a" has unknown dtype "F17"');
  rejects(craft(`{${T('a', 'I64', '[1]', 0, 8)}}`, 8),
    '1 problem(s) in the tensor table: tensor "a" has dtype I64; only F32, F16 and BF16 are supported for LoRA tensors');
  rejects(craft(`{${T('a', 'F32', '[2,3]', 0, 20)}}`, 20),
    '1 problem(s) in the tensor table: tensor "a" has shape [2, 3] of F32 (24 bytes) but data_offsets span 20 bytes');
  rejects(craft(`{${T('a', 'F32', '[4294967296,4294967296,1024]', 0, 0)}}`),
    '1 problem(s) in the tensor table: tensor "a" has shape [4294967296, 4294967296, 1024] of F32 (75557863725914323419136 bytes) but data_offsets span 0 bytes');
  rejects(craft(`{${T('a', 'F32', '[1]', 4, 0)}}`), '1 problem(s) in the tensor table: tensor "a" has data_offsets [4, 0] with end before begin');
  rejects(craft(`{${T('a', 'F32', '[1]', 0, 4)},${T('b', 'F32', '[1]', 8, 12)}}`, 12),
    '1 problem(s) in the tensor table: tensor "b" begins at 8, leaving a gap of 4 bytes after tensor "a"');
  rejects(craft(`{${T('a', 'F32', '[2]', 0, 8)},${T('b', 'F32', '[1]', 4, 8)}}`, 8),
    '1 problem(s) in the tensor table: tensor "b" begins at 4, overlapping tensor "a" (which ends at 8)');
  // A one-byte overlap (F16 pairs [0, 4) and [3, 7)) is as wrong as a large one; touching spans are fine.
  rejects(craft(`{${T('a', 'F16', '[2]', 0, 4)},${T('b', 'F16', '[2]', 3, 7)}}`, 7),
    '1 problem(s) in the tensor table: tensor "b" begins at 3, overlapping tensor "a" (which ends at 4)');
  rejects(craft(`{${T('b', 'F16', '[2]', 3, 7)},${T('a', 'F16', '[2]', 0, 4)},${T('c', 'F16', '[1]', 7, 9)}}`, 9),
    '1 problem(s) in the tensor table: tensor "b" begins at 3, overlapping tensor "a" (which ends at 4)');
  assert.deepEqual(parseSafetensors(craft(`{${T('a', 'F16', '[2]', 0, 4)},${T('b', 'F16', '[2]', 4, 8)}}`, 8)).tensors.map((x) => x.name), ['a', 'b']);
  rejects(craft(`{${T('a', 'F32', '[2]', 0, 8)}}`, 4), '1 problem(s) in the tensor table: tensor "a" ends at 8, beyond the 4-byte buffer (the file is truncated)');
  rejects(craft(`{${T('a', 'F32', '[1]', 0, 4)}}`, 6),
    '1 problem(s) in the tensor table: the tensors cover 4 bytes but the buffer holds 6; 2 trailing bytes belong to no tensor');
  rejects(craft(`{${T('', 'F32', '[1]', 0, 4)},${T('b', 'U8', '[1]', 4, 5)},${T('c', 'F16', '[3]', 5, 9)}}`, 9),
    '3 problem(s) in the tensor table: a tensor has an empty name; tensor "b" has dtype U8; only F32, F16 and BF16 are supported for LoRA tensors; ' +
    'tensor "c" has shape [3] of F16 (6 bytes) but data_offsets span 4 bytes');
  rejects(craft('{}', 3), '1 problem(s) in the tensor table: the tensors cover 0 bytes but the buffer holds 3; 3 trailing bytes belong to no tensor');
});

test('a header key "__proto__" is plain data, not a prototype change', () => {
  const file = parseSafetensors(craft(`{"__metadata__":{"__proto__":"x"},${T('__proto__', 'F32', '[]', 0, 4)}}`, 4));
  assert.equal(file.metadata?.['__proto__'], 'x');
  assert.equal(file.tensors[0]?.name, '__proto__');
  assert.equal(({} as Record<string, unknown>)['x'], undefined);
});

test('limits are inclusive where they should be; a gap at the start and more than ten problems are reported', () => {
  rejects(new Uint8Array(8), 'the header is 0 bytes, too short to hold a JSON object');
  const two = craft('{}');
  assert.deepEqual(parseSafetensors(two, { maxHeaderBytes: 2 }).tensors, [], 'a header of exactly the limit is accepted');
  rejects(craft(`{${T('a', 'F32', '[1]', 4, 8)}}`, 8),
    '1 problem(s) in the tensor table: tensor "a" begins at 4, leaving a gap of 4 bytes after the start of the buffer');
  const names = Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(2, '0')}`);
  const listed = names.map((n) => `tensor "${n}" has unknown dtype "F17"`);
  rejects(craft(`{${names.map((n, i) => T(n, 'F17', '[1]', 4 * i, 4 * i + 4)).join(',')}}`, 48),
    `12 problem(s) in the tensor table: ${listed.slice(0, 10).join('; ')} (and 2 more)`);
  const ten = names.slice(0, 10);
  rejects(craft(`{${ten.map((n, i) => T(n, 'F17', '[1]', 4 * i, 4 * i + 4)).join(',')}}`, 40),
    `10 problem(s) in the tensor table: ${listed.slice(0, 10).join('; ')}`);
});

test('header edge cases: every duplicate field, a missing dtype, CR whitespace, exponents, the 2^53 boundary, long numbers cut', () => {
  const a = (fields: string): Uint8Array => craft(`{"a":{${fields}}}`, 4);
  rejects(a('"dtype":"F32","shape":[],"shape":[],"data_offsets":[0,4]'), 'malformed header: tensor "a" has a duplicate field "shape"');
  rejects(a('"dtype":"F32","shape":[],"data_offsets":[0,4],"data_offsets":[0,4]'), 'malformed header: tensor "a" has a duplicate field "data_offsets"');
  rejects(a('"shape":[],"data_offsets":[0,4]'), 'malformed header: tensor "a" lacks dtype');
  rejects(a('"dtype":"F32","shape":[1 1],"data_offsets":[0,4]'), 'malformed header: tensor "a".shape: expected "," or "]" at character 31, found "1"');
  rejects(a('"dtype":"F32","shape":[],"data_offsets":[0,4}'), 'malformed header: tensor "a".data_offsets: expected "," or "]" at character 50, found "}"');
  rejects(a('"dtype":"F32","shape":[1e0],"data_offsets":[0,4]'), 'malformed header: tensor "a".shape must hold non-negative integers (at character 29, found "1")');
  rejects(a('"dtype":"F32","shape":[1E0],"data_offsets":[0,4]'), 'malformed header: tensor "a".shape must hold non-negative integers (at character 29, found "1")');
  rejects(craft('{"a" 1}'), 'malformed header: expected ":" at character 5, found "1"');
  rejects(craft('{1:2}'), 'malformed header: an object key must be a string (at character 1, found "1")');
  const file = parseSafetensors(craft(`{\r\n"a"\r:\r{"dtype":"F32","shape":[1],"data_offsets":[0,4]}\r}\r`, 4));
  assert.deepEqual(file.tensors.map((t) => [t.name, t.shape]), [['a', [1]]]);
  const reordered = parseSafetensors(craft('{"a":{"shape":[1],"data_offsets":[0,2],"dtype":"F16"},"b":{"data_offsets":[2,4],"dtype":"F16","shape":[]}}', 4));
  assert.deepEqual(reordered.tensors.map((t) => [t.name, t.dtype, t.shape]), [['a', 'F16', [1]], ['b', 'F16', []]]);
  // 2^53 - 1 is the largest count or offset accepted; 16 digits at or below it pass, 17 digits never do.
  const big = (shape: string): string => `{"a":{"dtype":"F32","shape":${shape},"data_offsets":[0,4]}}`;
  const past = '1 problem(s) in the tensor table: tensor "a" has shape';
  for (const n of ['9007199254740991', '1000000000000000']) {
    assert.throws(() => parseSafetensors(craft(big(`[${n}]`), 4)), (e: unknown) => isDpError(e, 'SAFETENSORS_INVALID') && e.message.startsWith(`safetensors: ${past} [${n}]`));
  }
  rejects(craft(big('[10000000000000000]'), 4), 'malformed header: tensor "a".shape: the number 10000000000000000 is too large');
  rejects(craft(big(`[${'9'.repeat(24)}]`), 4), `malformed header: tensor "a".shape: the number ${'9'.repeat(24)} is too large`);
  rejects(craft(big(`[${'9'.repeat(25)}]`), 4), `malformed header: tensor "a".shape: the number ${'9'.repeat(24)}… is too large`);
});

test('header errors keep their cause: the UTF-8 decoder\'s, the parser\'s, and JSON.parse\'s for a bad escape', () => {
  const causeOf = (bytes: Uint8Array): unknown => {
    try {
      parseSafetensors(bytes);
    } catch (e) {
      return e instanceof Error ? e.cause : undefined;
    }
    return undefined;
  };
  assert.ok(causeOf(craft('{"\xff"}').map((b) => (b === 0xc3 ? 0xff : b))) instanceof TypeError);
  const syntax = causeOf(craft('{"a\\x":1}'));
  assert.ok(syntax instanceof Error && syntax.message === 'invalid escape in the string starting at character 1' && syntax.cause instanceof SyntaxError);
  assert.throws(() => parseSafetensors(craft(`{${T('a', 'F17', '[1]', 0, 4)}}`, 4)), (e: unknown) => e instanceof Error && !Object.hasOwn(e, 'cause'),
    'a table problem has no cause');
  // A byte-order mark is not whitespace: the header must start with "{".
  rejects(craft('\uFEFF{}'), 'malformed header: the header does not start with "{"');
  // Escaped and plain names decode to the same string.
  const escaped = parseSafetensors(craft(`{"\\u0061b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4));
  assert.equal(escaped.tensors[0]?.name, 'ab');
});

test('every non-float dtype of the format is known (refused as unsupported, not as unknown)', () => {
  for (const [dtype, size] of [['BOOL', 1], ['U8', 1], ['I8', 1], ['F8_E5M2', 1], ['F8_E4M3', 1], ['I16', 2], ['U16', 2], ['I32', 4], ['U32', 4], ['F64', 8], ['I64', 8], ['U64', 8]] as const) {
    rejects(craft(`{${T('a', dtype, '[1]', 0, size)}}`, size),
      `1 problem(s) in the tensor table: tensor "a" has dtype ${dtype}; only F32, F16 and BF16 are supported for LoRA tensors`);
  }
});

test('two tensors beginning at the same offset: the shorter is taken first, whatever the header order', () => {
  for (const json of [`{${T('b', 'F32', '[2]', 0, 8)},${T('a', 'F32', '[1]', 0, 4)}}`, `{${T('a', 'F32', '[1]', 0, 4)},${T('b', 'F32', '[2]', 0, 8)}}`]) {
    rejects(craft(json, 8), '1 problem(s) in the tensor table: tensor "b" begins at 0, overlapping tensor "a" (which ends at 4)');
  }
});
