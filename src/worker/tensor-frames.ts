/**
 * Tensor frames: how tensor bytes travel over the bridge WebSocket, as binary frames. The codec (frame layout,
 * chunking, reassembly, the one-frame form for a tensor written to shared memory) lives in comfyui-node-ts-sdk
 * (packages/comfyui-node-ts-sdk/src/tensor-frames.ts); this module is its face inside the plugin: the same
 * functions, with our shared-memory channel (./shared-memory.ts) and our error class (PROTOCOL, same messages).
 * The Python half is the SDK's python/comfy_ts_bridge/frames.py.
 */
import {
  decodeTensorFrame as sdkDecodeTensorFrame,
  DEFAULT_CHUNK_BYTES,
  encodeTensorFrames as sdkEncodeTensorFrames,
  TensorReassembler as SdkTensorReassembler,
  type FrameHeader,
} from 'comfyui-node-ts-sdk';
import type { SharedMemoryChannel } from './shared-memory.js';
import { ours } from './sdk-errors.js';

export { DEFAULT_CHUNK_BYTES, MAX_TENSOR_BYTES, type FrameHeader } from 'comfyui-node-ts-sdk';

/**
 * Splits `data` into tensor frames for call `id` and tensor `ref`. Always at least one frame (empty tensors too).
 * With an enabled shared-memory channel, a tensor of at least SHM_MIN_BYTES goes into a file instead.
 */
export function encodeTensorFrames(id: string, ref: string, data: Uint8Array, chunkBytes = DEFAULT_CHUNK_BYTES, shm?: SharedMemoryChannel): Buffer[] {
  return ours(() => sdkEncodeTensorFrames(id, ref, data, chunkBytes, shm));
}

/** Parses one frame into its header and payload (a view into `frame`, not a copy); PROTOCOL when damaged. */
export function decodeTensorFrame(frame: Uint8Array): { header: FrameHeader; payload: Uint8Array } {
  return ours(() => sdkDecodeTensorFrame(frame));
}

/**
 * Collects chunks into whole tensors, keyed by (call id, ref). A tensor is complete when all of its bytes
 * have arrived; `take` hands it out once. `dropCall` frees a cancelled call's partial tensors.
 */
export class TensorReassembler {
  private readonly inner: SdkTensorReassembler;

  /** `maxBytesHeld`: bytes of partial and unclaimed tensors held at once (default 8 GiB). */
  constructor(maxBytesHeld?: number) {
    this.inner = new SdkTensorReassembler(maxBytesHeld);
  }

  /** Adds one frame; a shared-memory frame is read (and its file deleted) through `shm`. */
  push(frame: Uint8Array, shm?: SharedMemoryChannel): void {
    ours(() => this.inner.push(frame, shm));
  }

  /** Removes and returns the complete tensor bytes for (id, ref); throws PROTOCOL when missing or partial. */
  take(id: string, ref: string, expectedBytes: number): Uint8Array {
    return ours(() => this.inner.take(id, ref, expectedBytes));
  }

  /** Forgets every partial tensor of call `id`. */
  dropCall(id: string): void {
    this.inner.dropCall(id);
  }
}
