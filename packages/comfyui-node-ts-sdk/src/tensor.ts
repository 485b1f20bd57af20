/**
 * Dense tensors as they cross between ComfyUI's Python process and a Node.js worker: little-endian bytes in
 * row-major order with a dtype and a shape. ComfyUI's IMAGE is a float batch [B, H, W, C]; a bridge may send it
 * as uint8 to save bytes; MASK is [B, H, W]; LATENT["samples"] is [B, C, H/8, W/8].
 */
import { NodeSdkError } from './errors.js';

/** Element types a tensor can carry. */
export type TensorDtype = 'uint8' | 'float32' | 'float16';

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<TensorDtype, number>> = { uint8: 1, float32: 4, float16: 2 };

/** A dense tensor: little-endian bytes in row-major order. */
export interface Tensor {
  readonly dtype: TensorDtype;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** The number of elements of `shape` (1 for a scalar shape `[]`). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Checks that `t.data` holds exactly the bytes its dtype and shape need; throws PROTOCOL otherwise. */
export function checkTensor(t: Tensor, what: string): Tensor {
  const want = elementCount(t.shape) * DTYPE_BYTES[t.dtype];
  if (t.data.byteLength !== want) {
    throw new NodeSdkError('PROTOCOL', `${what}: ${t.dtype} tensor of shape [${t.shape.join(', ')}] needs ${want} bytes but ${t.data.byteLength} arrived. The bridge and worker disagree; update both to the same version.`);
  }
  return t;
}

/** A float32 view of a float32 tensor (copied only when the bytes are not 4-byte aligned); INVALID_INPUT_DATA for another dtype. */
export function float32View(t: Tensor): Float32Array {
  if (t.dtype !== 'float32') throw new NodeSdkError('INVALID_INPUT_DATA', `expected a float32 tensor, got ${t.dtype}.`);
  if (t.data.byteOffset % 4 === 0) return new Float32Array(t.data.buffer, t.data.byteOffset, t.data.byteLength / 4);
  return new Float32Array(t.data.slice().buffer);
}

/** Wraps a Float32Array as a float32 tensor without copying; PROTOCOL when its length does not match `shape`. */
export function float32Tensor(values: Float32Array, shape: readonly number[]): Tensor {
  return checkTensor({ dtype: 'float32', shape, data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) }, 'float32 tensor');
}
