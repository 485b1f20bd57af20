/**
 * Opaque handles: data that must stay in the worker (DP_EMBEDDINGS) is kept here and only a random handle
 * string crosses the bridge. The store itself (128 random bits per handle, bounded, least recently used first
 * out) is comfyui-node-ts-sdk's HandleStore; this is its face inside the plugin. A missing handle (evicted, or
 * the worker restarted) raises WORKER_UNAVAILABLE with reason `handle_expired`; the bridge then replays the node
 * that produced it once, so users never see it.
 */
import { HandleStore as SdkHandleStore } from 'comfyui-node-ts-sdk';
import type { HandleStoreLike } from './node-definition.js';
import { ours } from './sdk-errors.js';

export { HANDLE_EXPIRED } from './sdk-errors.js';

/** A bounded map from random handles to values. */
export class HandleStore implements HandleStoreLike {
  private readonly inner: SdkHandleStore;

  /** `capacity`: how many values are held at most (default 16). */
  constructor(capacity?: number) {
    this.inner = new SdkHandleStore(capacity);
  }

  /** Stores `value` and returns a fresh handle for it. */
  put(type: string, value: unknown): string {
    return this.inner.put(type, value);
  }

  /** Returns the value behind `handle`, refreshing its place in the LRU order. */
  get(type: string, handle: string): unknown {
    return ours(() => this.inner.get(type, handle));
  }

  /** How many handles are held. */
  get size(): number {
    return this.inner.size;
  }
}
