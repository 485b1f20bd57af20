/**
 * Element types of safetensors tensors that dp-hyperlora reads and writes, and their conversion to and from
 * Float32. LoRA factors are floating point; integer and 8-bit float dtypes are recognised by name (so that a
 * file holding them gets a clear refusal) but never decoded.
 *
 * The F16 and BF16 conversions are written by hand: Node 20 has no Float16Array, and the whole job is a few
 * lines of IEEE 754 bit manipulation (a dependency would be larger than the code it replaces).
 */
import { DpHyperLoraError } from '../errors.js';

/** The floating-point dtypes this project decodes and encodes. */
export const FLOAT_DTYPES = ['F32', 'F16', 'BF16'] as const;
/** A dtype this project decodes and encodes. */
export type FloatDtype = (typeof FLOAT_DTYPES)[number];

/**
 * Every dtype name of the safetensors format, with its element size in bytes. Listed in the format's own
 * order of increasing alignment: the reference writer places tensors by *descending* position in this list,
 * then by name, and our writer does the same so that files are laid out identically.
 */
export const DTYPE_SIZES: ReadonlyMap<string, number> = new Map([
  ['BOOL', 1], ['U8', 1], ['I8', 1], ['F8_E5M2', 1], ['F8_E4M3', 1],
  ['I16', 2], ['U16', 2], ['F16', 2], ['BF16', 2],
  ['I32', 4], ['U32', 4], ['F32', 4], ['F64', 8], ['I64', 8], ['U64', 8],
]);

const ALIGNMENT_RANK: ReadonlyMap<string, number> = new Map([...DTYPE_SIZES.keys()].map((d, i) => [d, i]));

/** The position of `dtype` in the format's alignment order (higher = placed earlier in the file). */
export function alignmentRank(dtype: FloatDtype): number {
  return ALIGNMENT_RANK.get(dtype) ?? 0;
}

/** True when `name` is a dtype we decode and encode. */
export function isFloatDtype(name: string): name is FloatDtype {
  return (FLOAT_DTYPES as readonly string[]).includes(name);
}

/** Bytes per element of a float dtype. */
export function floatDtypeSize(dtype: FloatDtype): 2 | 4 {
  return dtype === 'F32' ? 4 : 2;
}

// One shared scratch word for the bit casts below (single-threaded JS: no reentrancy).
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/**
 * Float32 → IEEE 754 binary16 bits, rounding to nearest, ties to even (what numpy and torch do). Overflow
 * gives ±Inf; values below the smallest subnormal round to ±0; NaN stays NaN (quiet).
 */
export function float32ToF16Bits(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0] ?? 0;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15; // re-biased exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    const m = mant | 0x800000; // make the implicit bit explicit
    const shift = 14 - e; // 24-bit significand down to a subnormal's 10 bits
    return sign | roundShift(m, shift);
  }
  // Normal: a carry out of the mantissa correctly bumps the exponent (and can reach Inf).
  return sign | ((e << 10) + roundShift(mant, 13));
}

/** `m >> shift`, rounded to nearest with ties to even. */
function roundShift(m: number, shift: number): number {
  const q = m >>> shift;
  const rem = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rem > half || (rem === half && (q & 1) === 1) ? q + 1 : q;
}

/** IEEE 754 binary16 bits → the exact Float32 value. */
export function f16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Float32 → bfloat16 bits (the upper half of the float32), rounding to nearest, ties to even; NaN stays NaN. */
export function float32ToBf16Bits(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0] ?? 0;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** bfloat16 bits → the exact Float32 value. */
export function bf16BitsToFloat32(b: number): number {
  scratchU32[0] = (b & 0xffff) << 16;
  return scratchF32[0] ?? 0;
}

/** Decodes little-endian `bytes` of `dtype` into a new Float32Array. */
export function decodeFloats(bytes: Uint8Array, dtype: FloatDtype): Float32Array {
  const size = floatDtypeSize(dtype);
  if (bytes.byteLength % size !== 0) {
    throw new DpHyperLoraError('INTERNAL', `decodeFloats: ${bytes.byteLength} bytes is not a whole number of ${dtype}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / size);
  for (let i = 0; i < out.length; i++) {
    if (dtype === 'F32') out[i] = view.getFloat32(i * 4, true);
    else if (dtype === 'F16') out[i] = f16BitsToFloat32(view.getUint16(i * 2, true));
    else out[i] = bf16BitsToFloat32(view.getUint16(i * 2, true));
  }
  return out;
}

/** Encodes `values` as little-endian `dtype` bytes (rounding to nearest-even for F16/BF16). */
export function encodeFloats(values: Float32Array, dtype: FloatDtype): Uint8Array {
  const size = floatDtypeSize(dtype);
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? 0;
    if (dtype === 'F32') view.setFloat32(i * 4, v, true);
    else if (dtype === 'F16') view.setUint16(i * 2, float32ToF16Bits(v), true);
    else view.setUint16(i * 2, float32ToBf16Bits(v), true);
  }
  return out;
}
