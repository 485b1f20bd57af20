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
import {
  checkTensor as sdkCheckTensor,
  float32Tensor as sdkFloat32Tensor,
  float32View as sdkFloat32View,
  type Tensor,
} from 'comfyui-node-ts-sdk';
import { ours } from './sdk-errors.js';

export { DTYPE_BYTES, elementCount, type Tensor, type TensorDtype } from 'comfyui-node-ts-sdk';

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

/** Checks that `t.data` holds exactly the bytes its dtype and shape need (PROTOCOL otherwise). */
export function checkTensor(t: Tensor, what: string): Tensor {
  return ours(() => sdkCheckTensor(t, what));
}

/** A float32 view of a float32 tensor (copied only when the bytes are not 4-byte aligned). */
export function float32View(t: Tensor): Float32Array {
  return ours(() => sdkFloat32View(t));
}

/** Wraps a Float32Array as a float32 tensor without copying. */
export function float32Tensor(values: Float32Array, shape: readonly number[]): Tensor {
  return ours(() => sdkFloat32Tensor(values, shape));
}
