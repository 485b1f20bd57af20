/**
 * The bridge's generic parts live in comfyui-node-ts-sdk, which throws its own NodeSdkError. Everything that
 * reaches a user of this plugin carries our one error class (src/errors.ts), so calls into the SDK go through
 * `ours` (or `toOurs` for a caught value): same message, same code, except that the SDK's HANDLE_EXPIRED is our
 * WORKER_UNAVAILABLE with `details.reason` = `handle_expired` (the bridge replays the producing node on it).
 * Neither the SDK's messages nor these details ever hold private data: the SDK sees only tensor bytes, shapes,
 * handle strings and input names.
 */
import { isNodeSdkError } from 'comfyui-node-ts-sdk';
import { DpHyperLoraError } from '../errors.js';

/** The `details.reason` of the error raised for an unknown handle. */
export const HANDLE_EXPIRED = 'handle_expired';

/** `e` as our error when it is the SDK's; anything else unchanged. */
export function toOurs(e: unknown): unknown {
  if (!isNodeSdkError(e)) return e;
  if (e.code === 'HANDLE_EXPIRED') return new DpHyperLoraError('WORKER_UNAVAILABLE', e.message, { cause: e, details: { reason: HANDLE_EXPIRED } });
  return new DpHyperLoraError(e.code, e.message, { cause: e });
}

/** Runs `f`, turning a NodeSdkError it throws into a DpHyperLoraError (see the module comment). */
export function ours<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw toOurs(e);
  }
}
