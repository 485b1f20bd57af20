/**
 * The bridge's generic parts live in comfyui-node-ts-sdk, which throws its own NodeSdkError. Everything that
 * reaches a user of this plugin carries our one error class (src/errors.ts), so calls into the SDK go through
 * `ours`: same message, same code, except that the SDK's HANDLE_EXPIRED is our WORKER_UNAVAILABLE with
 * `details.reason` = `handle_expired` (the bridge replays the producing node on it). Neither the SDK's messages
 * nor these details ever hold private data: the SDK sees only tensor bytes, shapes and handle strings.
 */
import { isNodeSdkError } from 'comfyui-node-ts-sdk';
import { DpHyperLoraError } from '../errors.js';

/** The `details.reason` of the error raised for an unknown handle. */
export const HANDLE_EXPIRED = 'handle_expired';

/** Runs `f`, turning a NodeSdkError it throws into a DpHyperLoraError (see the module comment). */
export function ours<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!isNodeSdkError(e)) throw e;
    if (e.code === 'HANDLE_EXPIRED') throw new DpHyperLoraError('WORKER_UNAVAILABLE', e.message, { cause: e, details: { reason: HANDLE_EXPIRED } });
    throw new DpHyperLoraError(e.code, e.message, { cause: e });
  }
}
