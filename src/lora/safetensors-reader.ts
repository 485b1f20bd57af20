/**
 * The safetensors parser: bytes in, a validated list of tensor views out. Pure (no filesystem).
 *
 * Format (huggingface/safetensors): an 8-byte little-endian u64 N, N bytes of UTF-8 JSON (the header), then
 * the byte buffer. The header maps tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets
 * relative to the buffer start) plus an optional "__metadata__" string→string map.
 *
 * Hardening, following the reference implementation's validation and going further where it is lenient:
 * - the header length is capped (100 MB by default, like the reference) and must fit in the file;
 * - the header is strict JSON of the known shape (see header-json.ts): no duplicate keys, no unknown fields,
 *   no trailing data other than whitespace;
 * - element counts are computed in BigInt, so a shape such as [2^40, 2^40] cannot overflow into a small size;
 * - sorted by begin offset, tensors must tile the buffer exactly: the first begins at 0, each begins where
 *   the previous ended, end - begin equals elements × dtype size, and the last ends at the end of the file.
 * Every failure is a DpHyperLoraError('SAFETENSORS_INVALID') naming the tensor or field. Problems within the
 * tensor entries are collected and reported together.
 */
import { DpHyperLoraError } from '../errors.js';
import { DTYPE_SIZES, type FloatDtype, isFloatDtype } from './dtype.js';
import { HeaderSyntaxError, parseHeaderJson, type RawTensorInfo } from './header-json.js';

/** Default cap on the JSON header, in bytes (the reference implementation's limit). */
export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;

/** One tensor of a parsed file. `bytes` is a view into the input (no copy), little-endian, C order. */
export interface SafetensorsTensor {
  readonly name: string;
  readonly dtype: FloatDtype;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

/** A parsed file: tensors in file (offset) order, and the header's metadata map if it had one. */
export interface SafetensorsFile {
  readonly tensors: readonly SafetensorsTensor[];
  readonly metadata: Readonly<Record<string, string>> | undefined;
}

/** Options of {@link parseSafetensors}. */
export interface ParseSafetensorsOptions {
  /** Largest accepted header, in bytes. Default {@link DEFAULT_MAX_HEADER_BYTES}. */
  readonly maxHeaderBytes?: number;
}

function invalid(message: string, cause?: unknown): DpHyperLoraError {
  return new DpHyperLoraError('SAFETENSORS_INVALID', `safetensors: ${message}`, cause === undefined ? undefined : { cause });
}

/** Parses and validates a whole safetensors file held in memory. Throws SAFETENSORS_INVALID on any damage. */
export function parseSafetensors(bytes: Uint8Array, options: ParseSafetensorsOptions = {}): SafetensorsFile {
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (bytes.byteLength < 8) {
    throw invalid(`the file is ${bytes.byteLength} bytes, shorter than the 8-byte header length; it is truncated or not a safetensors file`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(maxHeaderBytes)) {
    throw invalid(`the header length field says ${headerLength} bytes, more than the limit of ${maxHeaderBytes}; the file is damaged or not a safetensors file`);
  }
  const n = Number(headerLength);
  if (8 + n > bytes.byteLength) {
    throw invalid(`the header length field says ${n} bytes but only ${bytes.byteLength - 8} follow it; the file is truncated`);
  }
  if (n < 2) throw invalid(`the header is ${n} bytes, too short to hold a JSON object`);
  const raw = parseHeader(bytes.subarray(8, 8 + n));
  const data = bytes.subarray(8 + n);
  return { tensors: checkLayout(raw.tensors, data), metadata: raw.metadata };
}

function parseHeader(headerBytes: Uint8Array): ReturnType<typeof parseHeaderJson> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch (e) {
    throw invalid('the header is not valid UTF-8', e);
  }
  try {
    return parseHeaderJson(text);
  } catch (e) {
    if (e instanceof HeaderSyntaxError) throw invalid(`malformed header: ${e.message}`, e);
    throw e;
  }
}

/** Checks dtype, sizes and tiling of every entry against the data buffer; returns views in offset order. */
function checkLayout(entries: readonly RawTensorInfo[], data: Uint8Array): SafetensorsTensor[] {
  const problems: string[] = [];
  for (const t of entries) {
    const p = entryProblem(t);
    if (p !== undefined) problems.push(p);
  }
  if (problems.length === 0) problems.push(...tilingProblems(entries, data.byteLength));
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ');
    const more = problems.length > 10 ? ` (and ${problems.length - 10} more)` : '';
    throw invalid(`${problems.length} problem(s) in the tensor table: ${shown}${more}`);
  }
  return [...entries]
    .sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0])
    .map((t) => ({
      name: t.name,
      dtype: t.dtype as FloatDtype,
      shape: [...t.shape],
      bytes: data.subarray(t.dataOffsets[0], t.dataOffsets[1]),
    }));
}

/** The problem with one entry on its own (name, dtype, byte span), or undefined. */
function entryProblem(t: RawTensorInfo): string | undefined {
  const where = `tensor ${JSON.stringify(t.name)}`;
  if (t.name === '') return 'a tensor has an empty name';
  const size = DTYPE_SIZES.get(t.dtype);
  if (size === undefined) return `${where} has unknown dtype ${JSON.stringify(t.dtype)}`;
  if (!isFloatDtype(t.dtype)) return `${where} has dtype ${t.dtype}; only F32, F16 and BF16 are supported for LoRA tensors`;
  const [begin, end] = t.dataOffsets;
  if (end < begin) return `${where} has data_offsets [${begin}, ${end}] with end before begin`;
  // BigInt: the product of a hostile shape may exceed 2^53 and must not wrap or round.
  const elements = t.shape.reduce((acc, d) => acc * BigInt(d), 1n);
  const expected = elements * BigInt(size);
  if (expected !== BigInt(end - begin)) {
    return `${where} has shape [${t.shape.join(', ')}] of ${t.dtype} (${expected} bytes) but data_offsets span ${end - begin} bytes`;
  }
  return undefined;
}

/** Problems with how the entries cover the buffer: gaps, overlaps, and the total length. */
function tilingProblems(entries: readonly RawTensorInfo[], bufferBytes: number): string[] {
  const sorted = [...entries].sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  const problems: string[] = [];
  let cursor = 0;
  let previous = 'the start of the buffer';
  for (const t of sorted) {
    const [begin, end] = t.dataOffsets;
    const where = `tensor ${JSON.stringify(t.name)}`;
    if (begin > cursor) problems.push(`${where} begins at ${begin}, leaving a gap of ${begin - cursor} bytes after ${previous}`);
    else if (begin < cursor) problems.push(`${where} begins at ${begin}, overlapping ${previous} (which ends at ${cursor})`);
    if (end > bufferBytes) problems.push(`${where} ends at ${end}, beyond the ${bufferBytes}-byte buffer (the file is truncated)`);
    cursor = Math.max(cursor, end);
    previous = where;
  }
  if (problems.length === 0 && cursor !== bufferBytes) {
    problems.push(`the tensors cover ${cursor} bytes but the buffer holds ${bufferBytes}; ${bufferBytes - cursor} trailing bytes belong to no tensor`);
  }
  return problems;
}
