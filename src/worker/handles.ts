/**
 * Opaque handles: data that must stay in the worker (DP_EMBEDDINGS) is kept here and only a random handle
 * string crosses the bridge. The handle is 128 random bits, so it reveals nothing about the data, and it is
 * useless outside this worker process.
 *
 * The store is bounded (least recently used first out): a long ComfyUI session that embeds many sets does
 * not grow without limit. A missing handle (evicted, or the worker restarted) raises an error with reason
 * `handle_expired`; the bridge then replays the node that produced it once, so users never see it.
 */
import { randomBytes } from 'node:crypto';
import { DpHyperLoraError } from '../errors.js';
import type { HandleStoreLike } from './node-definition.js';

/** The `details.reason` of the error raised for an unknown handle. */
export const HANDLE_EXPIRED = 'handle_expired';

/** A bounded map from random handles to values. */
export class HandleStore implements HandleStoreLike {
  private readonly entries = new Map<string, { type: string; value: unknown }>();

  constructor(private readonly capacity = 16) {}

  /** Stores `value` and returns a fresh handle for it. */
  put(type: string, value: unknown): string {
    const handle = `h_${randomBytes(16).toString('hex')}`;
    this.entries.set(handle, { type, value });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return handle;
  }

  /** Returns the value behind `handle`, refreshing its place in the LRU order. */
  get(type: string, handle: string): unknown {
    const entry = this.entries.get(handle);
    if (entry === undefined || entry.type !== type) {
      throw new DpHyperLoraError('WORKER_UNAVAILABLE',
        `the ${type} input refers to data this worker no longer holds (it restarted or evicted it); run the node that produced it again.`,
        { details: { reason: HANDLE_EXPIRED } });
    }
    this.entries.delete(handle);
    this.entries.set(handle, entry);
    return entry.value;
  }

  /** How many handles are held. */
  get size(): number {
    return this.entries.size;
  }
}
