/**
 * Values that cross the bridge, in their decoded (in-memory) form. Their wire form (JSON plus tensor
 * frames) is in ./protocol.ts and ./tensor-frames.ts.
 *
 * Kinds:
 * - `none`: an optional input left unconnected (or an output the host fills, such as MODEL/CLIP);
 * - `json`: widget values and public values (DP_PACK, DP_DATASET_EMBEDDING);
 * - `tensor`: one tensor, e.g. an IMAGE batch as uint8 [B, H, W, 3];
 * - `tensors`: a named tensor dict with string metadata (LORA_MODEL);
 * - `handle`: an opaque reference to data that stays in the worker (DP_EMBEDDINGS);
 * - `model`: a MODEL or CLIP described by the LoRA key prefixes it accepts and their weights' shapes.
 */
import { DpHyperLoraError } from '../errors.js';

/** Element types a tensor frame can carry. */
export type TensorDtype = 'uint8' | 'float32' | 'float16';

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<TensorDtype, number>> = { uint8: 1, float32: 4, float16: 2 };

/** A dense tensor: little-endian bytes in row-major order. */
export interface Tensor {
  readonly dtype: TensorDtype;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** A decoded bridge value (see the module comment). */
export type DecodedValue =
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'tensor'; readonly tensor: Tensor }
  | { readonly kind: 'tensors'; readonly tensors: Readonly<Record<string, Tensor>>; readonly metadata: Readonly<Record<string, string>> }
  | { readonly kind: 'handle'; readonly type: string; readonly handle: string }
  | { readonly kind: 'model'; readonly targets: Readonly<Record<string, readonly number[]>> };

/**
 * A file the bridge writes into a ComfyUI models folder (by folder_paths name): a LoRA into `loras`, or a
 * conditioning pack's file into `dp_hyperlora/<subfolder>`.
 */
export interface HostFile {
  readonly folder: 'loras' | 'dp_hyperlora';
  /** dp_hyperlora only: the pack folder, one plain name. */
  readonly subfolder?: string;
  /** A plain file name (no separators); the bridge refuses anything else and never overwrites. */
  readonly name: string;
  readonly data: Uint8Array;
}

/** What a node's execute returns. */
export interface NodeResult {
  /** One value per declared output, by output name. */
  readonly outputs: Readonly<Record<string, DecodedValue>>;
  /**
   * The node's `ui` for ComfyUI (public values only): `text` lines for the node body, plus structured entries
   * the frontend extension reads (e.g. `dp_release`, one release summary). Every value is a list.
   */
  readonly ui?: { readonly text: readonly string[] } & Readonly<Record<string, readonly unknown[]>>;
  readonly files?: readonly HostFile[];
}

/** The number of elements of `shape`. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Checks that `t.data` holds exactly the bytes its dtype and shape need. */
export function checkTensor(t: Tensor, what: string): Tensor {
  const want = elementCount(t.shape) * DTYPE_BYTES[t.dtype];
  if (t.data.byteLength !== want) {
    throw new DpHyperLoraError('PROTOCOL', `${what}: ${t.dtype} tensor of shape [${t.shape.join(', ')}] needs ${want} bytes but ${t.data.byteLength} arrived. The bridge and worker disagree; update both to the same version.`);
  }
  return t;
}

/** A float32 view of a float32 tensor (copied only when the bytes are not 4-byte aligned). */
export function float32View(t: Tensor): Float32Array {
  if (t.dtype !== 'float32') throw new DpHyperLoraError('INVALID_INPUT_DATA', `expected a float32 tensor, got ${t.dtype}.`);
  if (t.data.byteOffset % 4 === 0) return new Float32Array(t.data.buffer, t.data.byteOffset, t.data.byteLength / 4);
  return new Float32Array(t.data.slice().buffer);
}

/** Wraps a Float32Array as a float32 tensor without copying. */
export function float32Tensor(values: Float32Array, shape: readonly number[]): Tensor {
  return checkTensor({ dtype: 'float32', shape, data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) }, 'float32 tensor');
}
