/**
 * Values that cross the bridge, in their decoded (in-memory) form: comfyui-node-ts-sdk's, seen with our error
 * class. Kinds (the SDK's values.ts): `none`, `json` (widgets and our public values DP_PACK,
 * DP_DATASET_EMBEDDING), `tensor` (e.g. an IMAGE batch as uint8 [B, H, W, 3]), `tensors` (LORA_MODEL,
 * CLIP_VISION_OUTPUT), `handle` (DP_EMBEDDINGS: the data stays in the worker), `model` (MODEL/CLIP described by
 * the LoRA key prefixes it accepts and their weights' shapes).
 */
import {
  checkTensor as sdkCheckTensor,
  float32Tensor as sdkFloat32Tensor,
  float32View as sdkFloat32View,
  type HostFile as SdkHostFile,
  type Tensor,
} from 'comfyui-node-ts-sdk';
import { ours } from './sdk-errors.js';

export { DTYPE_BYTES, elementCount, type DecodedValue, type NodeResult, type Tensor, type TensorDtype } from 'comfyui-node-ts-sdk';

/**
 * A file the bridge writes into a ComfyUI models folder (by folder_paths name): a LoRA into `loras`, or a
 * conditioning pack's file into `dp_hyperlora/<subfolder>` (bridge/paths.py refuses anything else).
 */
export interface HostFile extends SdkHostFile {
  readonly folder: 'loras' | 'dp_hyperlora';
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
