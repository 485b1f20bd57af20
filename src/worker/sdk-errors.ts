/**
 * The bridge's generic parts live in comfyui-node-ts-sdk, which throws its own NodeSdkError. Everything that
 * reaches a user of this plugin carries our one error class (src/errors.ts), so calls into the SDK go through
 * `ours`: same code, same message (neither ever holds private data: the SDK sees only tensor bytes and shapes).
 */
import { isNodeSdkError } from 'comfyui-node-ts-sdk';
import { DpHyperLoraError } from '../errors.js';

/** Runs `f`, turning a NodeSdkError it throws into a DpHyperLoraError with the same code and message. */
export function ours<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isNodeSdkError(e)) throw new DpHyperLoraError(e.code, e.message, { cause: e });
    throw e;
  }
}
