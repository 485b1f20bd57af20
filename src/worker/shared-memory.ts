/**
 * Shared-memory tensor transport for a worker on the same machine as ComfyUI: comfyui-node-ts-sdk's (its
 * shared-memory.ts explains the folder, the probe and the clean-up), with our folder names
 * (`dp-hyperlora-<pid>-<16 hex>` in /dev/shm), our switch (DP_HYPERLORA_SHM=off) and our error class.
 *
 * Privacy: the files hold private pixels for the milliseconds between write and read, readable by this user
 * only: the same trust domain as the worker's own memory (docs/privacy.md, "Shared memory").
 */
import {
  SharedMemoryChannel as SdkSharedMemoryChannel,
  shmBase,
  shmDirPattern,
  sweepStaleShmDirs as sdkSweepStaleShmDirs,
  TENSOR_FILE_MIN_BYTES,
  TENSOR_FILE_PATTERN,
  type ShmNaming,
} from 'comfyui-node-ts-sdk';
import { logger } from '../log/logger.js';
import { ours } from './sdk-errors.js';

export { shmBase } from 'comfyui-node-ts-sdk';

/** Tensors smaller than this (bytes) stay inline in WebSocket frames: a file costs more than it saves (the SDK's). */
export const SHM_MIN_BYTES = TENSOR_FILE_MIN_BYTES;

/** File names either side may create in the folder: 32 hex digits and `.t` (the SDK's). */
export const SHM_FILE_PATTERN = TENSOR_FILE_PATTERN;

/** Environment variable that turns the shared-memory path off on either side (`off`). */
export const SHM_ENV = 'DP_HYPERLORA_SHM';

/** Our folders' naming, as the SDK takes it. */
export const SHM_NAMING: ShmNaming = { prefix: 'dp-hyperlora', offEnv: SHM_ENV, log: logger('worker') };

/** The folder name pattern (`dp-hyperlora-<pid>-<16 hex>`), checked by the bridge before it trusts a folder. */
export const SHM_DIR_PATTERN = shmDirPattern(SHM_NAMING.prefix);

/** Removes folders of ours whose owning worker process is gone (left when both sides were killed). */
export function sweepStaleShmDirs(base = shmBase()): number {
  return sdkSweepStaleShmDirs(SHM_NAMING, base);
}

/** One connection's shared-memory folder: writes outgoing tensors, reads (and deletes) incoming ones. */
export class SharedMemoryChannel extends SdkSharedMemoryChannel {
  constructor(base = shmBase()) {
    super(SHM_NAMING, base);
  }

  /** Reads file `name` (exactly `total` bytes) and deletes it. Throws PROTOCOL for a bad name or size. */
  override read(name: string, total: number): Uint8Array {
    return ours(() => super.read(name, total));
  }
}
