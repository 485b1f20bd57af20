/**
 * The safetensors serialiser: tensors and metadata in, file bytes out. Pure and deterministic: the same
 * input always gives the same bytes, whatever order the tensors were given in.
 *
 * Layout conventions follow the reference implementation (huggingface/safetensors `serialize`):
 * - tensors are placed by descending dtype alignment (F32 before BF16 before F16), then by name in UTF-8
 *   byte order, back to back from buffer offset 0;
 * - the header is compact JSON (no spaces) with "__metadata__" first, then the tensors in buffer order,
 *   each as {"dtype","shape","data_offsets"} in that field order; metadata keys are sorted (the reference
 *   uses a hash map, so its order is arbitrary; sorting makes ours reproducible);
 * - the header is padded with spaces to a multiple of 8 bytes, so that every tensor's data starts 8-byte
 *   aligned in the file.
 */
import { DpHyperLoraError } from '../errors.js';
import { alignmentRank, encodeFloats, type FloatDtype, isFloatDtype } from './dtype.js';

/** One tensor to write: Float32 values, stored in the file as `dtype` (rounded to nearest-even if narrower). */
export interface SafetensorsInput {
  readonly name: string;
  readonly dtype: FloatDtype;
  /** Dimensions, outermost first; [] is a 0-dim (scalar) tensor holding one value. */
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

const utf8 = new TextEncoder();

function bad(message: string): DpHyperLoraError {
  return new DpHyperLoraError('INVALID_ARGUMENT', `safetensors writer: ${message}`);
}

/** Compares two strings by their UTF-8 bytes (the reference implementation's name order). */
function compareUtf8(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function checkInputs(tensors: readonly SafetensorsInput[], metadata: Readonly<Record<string, string>> | undefined): void {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const t of tensors) {
    const where = `tensor ${JSON.stringify(t.name)}`;
    if (t.name === '' || t.name === '__metadata__') problems.push(`the tensor name ${JSON.stringify(t.name)} is reserved or empty`);
    if (names.has(t.name)) problems.push(`${where} appears twice`);
    names.add(t.name);
    if (!isFloatDtype(t.dtype)) problems.push(`${where} has dtype ${String(t.dtype)}; use F32, F16 or BF16`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      problems.push(`${where} has shape [${t.shape.join(', ')}]; dimensions must be non-negative integers`);
    } else {
      const count = t.shape.reduce((a, d) => a * d, 1);
      if (count !== t.values.length) problems.push(`${where} has shape [${t.shape.join(', ')}] (${count} values) but ${t.values.length} values`);
    }
  }
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== 'string') problems.push(`metadata ${JSON.stringify(k)} must be a string`);
  }
  if (problems.length > 0) throw bad(problems.join('; '));
}

/** Serialises `tensors` (and optional string→string `metadata`) into the bytes of a .safetensors file. */
export function serializeSafetensors(
  tensors: readonly SafetensorsInput[],
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  checkInputs(tensors, metadata);
  const ordered = [...tensors].sort((a, b) => alignmentRank(b.dtype) - alignmentRank(a.dtype) || compareUtf8(a.name, b.name));
  const blobs = ordered.map((t) => encodeFloats(t.values, t.dtype));

  const entries: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(compareUtf8);
    const body = keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',');
    entries.push(`"__metadata__":{${body}}`);
  }
  let offset = 0;
  ordered.forEach((t, i) => {
    const end = offset + (blobs[i]?.byteLength ?? 0);
    entries.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  });
  const json = utf8.encode(`{${entries.join(',')}}`);
  const headerLength = Math.ceil(json.byteLength / 8) * 8;

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength); // space padding, as the reference writes
  let at = 8 + headerLength;
  for (const blob of blobs) {
    out.set(blob, at);
    at += blob.byteLength;
  }
  return out;
}
