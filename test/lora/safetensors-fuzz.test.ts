// Fuzz test of the hardened reader: random damage to valid files (bit flips, byte overwrites, truncation,
// insertion, header-length corruption, edits inside the JSON header) must never crash, hang or read outside
// the input. Every outcome is either a parse whose every invariant holds, or SAFETENSORS_INVALID.
// Seeded (fast-check), so a failure is reproducible from the printed seed and path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseSafetensors, type SafetensorsFile } from '../../src/lora/safetensors-reader.js';
import { serializeSafetensors } from '../../src/lora/safetensors-writer.js';
import { decodeFloats, DTYPE_SIZES } from '../../src/lora/dtype.js';
import { isDpError } from '../../src/errors.js';

const CORPUS: readonly Uint8Array[] = [
  serializeSafetensors([]),
  serializeSafetensors([{ name: 'a', dtype: 'F32', shape: [2, 2], values: Float32Array.of(1, 2, 3, 4) }]),
  serializeSafetensors([
    { name: 'k.lora_down.weight', dtype: 'F16', shape: [2, 3], values: Float32Array.of(1, 2, 3, 4, 5, 6) },
    { name: 'k.lora_up.weight', dtype: 'BF16', shape: [3, 2], values: Float32Array.of(-1, -2, -3, -4, -5, -6) },
    { name: 'k.alpha', dtype: 'F32', shape: [], values: Float32Array.of(4) },
  ], { 'dp_hyperlora.epsilon': '1', note: 'x' }),
  new Uint8Array(readFileSync(new URL('../fixtures/lora/python-written.safetensors', import.meta.url))),
];

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'headerLength'; value: bigint }
  | { kind: 'jsonChar'; at: number; char: string };

const JSON_CHARS = [...'{}[]",:0123456789 -.eE\\u"_aFB', '__metadata__', '"dtype"', '"shape"', '"data_offsets"', '99999999999999999999'];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 9 }) }),
  fc.record({
    kind: fc.constant('headerLength' as const),
    value: fc.oneof(fc.bigInt({ min: 0n, max: 400n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
  }),
  fc.record({ kind: fc.constant('jsonChar' as const), at: fc.nat(), char: fc.constantFrom(...JSON_CHARS) }),
);

function apply(input: Uint8Array, m: Mutation): Uint8Array {
  const b = new Uint8Array(input);
  const at = b.length === 0 ? 0 : m.kind === 'headerLength' ? 0 : (m as { at: number }).at % (b.length + 1);
  switch (m.kind) {
    case 'flip':
      if (at < b.length) b[at] = (b[at] ?? 0) ^ (1 << m.bit);
      return b;
    case 'set':
      if (at < b.length) b[at] = m.byte;
      return b;
    case 'truncate':
      return b.subarray(0, at);
    case 'insert':
      return Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
    case 'headerLength':
      if (b.length >= 8) new DataView(b.buffer).setBigUint64(0, m.value, true);
      return b;
    case 'jsonChar': {
      // Replace the header text around a position inside the JSON region with a JSON-ish token.
      const n = b.length >= 8 ? Number(new DataView(b.buffer).getBigUint64(0, true)) : 0;
      const pos = 8 + (n > 0 ? (m.at % n) : 0);
      const token = new TextEncoder().encode(m.char);
      return Uint8Array.from([...b.subarray(0, pos), ...token, ...b.subarray(Math.min(b.length, pos + 1))]);
    }
  }
}

/** The invariants of a successful parse: views inside the input, tiled, sized by shape × dtype. */
function checkParsed(input: Uint8Array, file: SafetensorsFile): void {
  const n = Number(new DataView(input.buffer, input.byteOffset, 8).getBigUint64(0, true));
  const dataStart = input.byteOffset + 8 + n;
  let cursor = dataStart;
  for (const t of file.tensors) {
    assert.equal(t.bytes.buffer, input.buffer, 'a tensor view must alias the input, not a copy of something else');
    assert.equal(t.bytes.byteOffset, cursor, 'tensors tile the buffer in order');
    const size = DTYPE_SIZES.get(t.dtype) ?? 0;
    assert.equal(t.bytes.byteLength, t.shape.reduce((a, d) => a * d, 1) * size);
    cursor += t.bytes.byteLength;
    assert.equal(decodeFloats(t.bytes, t.dtype).length, t.bytes.byteLength / size);
  }
  assert.equal(cursor, input.byteOffset + input.byteLength, 'the buffer is fully covered');
}

let valid = 0;
let invalid = 0;

function check(base: number, mutations: readonly Mutation[]): void {
  const input = mutations.reduce(apply, CORPUS[base % CORPUS.length] ?? new Uint8Array());
  const started = performance.now();
  try {
    checkParsed(input, parseSafetensors(input));
    valid++;
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.ok(isDpError(e, 'SAFETENSORS_INVALID'), `unexpected ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    assert.match(e.message, /^safetensors: /);
    invalid++;
  }
  // A generous bound that only a pathological parse (e.g. a shape product walked element by element) breaks,
  // even on a loaded machine; a healthy parse takes well under a millisecond.
  assert.ok(performance.now() - started < 5000, 'one small file must parse or fail in well under 5 s');
}

test('fuzz: 4000 random byte-level mutations of valid files', () => {
  fc.assert(fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (base, ms) => check(base, ms)), { seed: 20261128, numRuns: 4000 });
});

test('fuzz: 2000 single JSON-token edits of the header', () => {
  const jsonEdit = fc.record({ kind: fc.constant('jsonChar' as const), at: fc.nat(), char: fc.constantFrom(...JSON_CHARS) });
  fc.assert(fc.property(fc.nat(), jsonEdit, (base, m) => check(base, [m])), { seed: 7, numRuns: 2000 });
});

test('fuzz: the unmutated corpus parses, and the mutation runs reached both outcomes', (t) => {
  for (const f of CORPUS) checkParsed(f, parseSafetensors(f));
  // Guards the fuzz test itself: had every case been rejected (or accepted), it would test little.
  t.diagnostic(`fuzz outcomes: ${valid} valid parses, ${invalid} SAFETENSORS_INVALID`);
  assert.ok(valid > 50 && invalid > 1000, `valid ${valid}, invalid ${invalid}`);
});

test('property: 500 random valid tensor sets round-trip through writer and reader exactly', () => {
  const tensorArb = fc.record({
    name: fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }),
    dtype: fc.constantFrom('F32' as const, 'F16' as const, 'BF16' as const),
    shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
    seed: fc.integer(),
  });
  fc.assert(fc.property(fc.uniqueArray(tensorArb, { selector: (t) => t.name, maxLength: 6 }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }), (specs, metadata) => {
      const tensors = specs.filter((t) => t.name !== '__metadata__').map((t) => {
        const n = t.shape.reduce((a, d) => a * d, 1);
        // Halves in [-64, 64) need at most 7 significant bits: exact in F32, F16 and BF16 (8 bits), so the
        // round trip must be exact.
        const values = Float32Array.from({ length: n }, (_, i) => ((((t.seed + i * 7919) % 256) + 256) % 256 - 128) / 2);
        return { name: t.name, dtype: t.dtype, shape: t.shape, values };
      });
      const bytes = serializeSafetensors(tensors, metadata);
      const file = parseSafetensors(bytes);
      assert.deepEqual({ ...file.metadata }, { ...metadata });
      assert.equal(file.tensors.length, tensors.length);
      for (const t of tensors) {
        const got = file.tensors.find((x) => x.name === t.name);
        assert.ok(got);
        assert.deepEqual([got.dtype, got.shape], [t.dtype, t.shape]);
        assert.deepEqual([...decodeFloats(got.bytes, got.dtype)], [...t.values]);
      }
      assert.equal((Number(new DataView(bytes.buffer).getBigUint64(0, true))) % 8, 0, 'header padded to 8 bytes');
    }), { seed: 99, numRuns: 500 });
});
