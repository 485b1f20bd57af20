/**
 * Opaque handles: data that must stay in the worker is kept here and only a random handle string crosses the
 * bridge (ComfyUI passes it between nodes like any value). The handle is 128 random bits from node:crypto, so it
 * reveals nothing about the data, and it is useless outside this worker process.
 *
 * The store is bounded (least recently used first out): a long ComfyUI session does not grow without limit.
 * A missing handle (evicted, or the worker restarted) raises HANDLE_EXPIRED; a bridge can replay the node that
 * produced it once, so users never see it.
 */
import { randomBytes } from 'node:crypto';
import { NodeSdkError } from './errors.js';

/** The minimal view of the handle store a node needs. */
export interface HandleStoreLike {
  /** Stores `value` under a fresh handle for socket type `type`. */
  put(type: string, value: unknown): string;
  /** The value behind `handle`; HANDLE_EXPIRED when this worker no longer holds it (or it is of another type). */
  get(type: string, handle: string): unknown;
}

/** A bounded map from random handles to values. */
export class HandleStore implements HandleStoreLike {
  private readonly entries = new Map<string, { type: string; value: unknown }>();

  /** `capacity`: how many values are held at most (the least recently used goes first). */
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
      throw new NodeSdkError('HANDLE_EXPIRED',
        `the ${type} input refers to data this worker no longer holds (it restarted or evicted it); run the node that produced it again.`);
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
