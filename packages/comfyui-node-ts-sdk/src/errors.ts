/**
 * The one error class of comfyui-node-ts-sdk. `code` is stable and machine-readable; `message` says what
 * failed, why, and what to do. A node pack may wrap it into its own error class, keeping the code.
 */

/** The closed set of codes the SDK throws. */
export const SDK_ERROR_CODES = [
  'PROTOCOL', 'INVALID_INPUT_DATA', 'INVALID_ARGUMENT', 'HANDLE_EXPIRED', 'CANCELLED', 'AUTH_FAILED', 'WORKER_UNAVAILABLE', 'INTERNAL',
] as const;

/**
 * A code from {@link SDK_ERROR_CODES}: PROTOCOL (bridge and worker disagree), INVALID_INPUT_DATA (a value of the
 * wrong kind), INVALID_ARGUMENT (a node's inputs fail their schema), HANDLE_EXPIRED (an opaque handle this worker
 * no longer holds: re-run the node that made it), CANCELLED (ComfyUI interrupted, or the connection closed),
 * AUTH_FAILED (the bridge refused the worker's token), WORKER_UNAVAILABLE (no bridge at that URL), INTERNAL (a bug).
 */
export type SdkErrorCode = (typeof SDK_ERROR_CODES)[number];

/** An error thrown by the SDK. */
export class NodeSdkError extends Error {
  readonly code: SdkErrorCode;

  constructor(code: SdkErrorCode, message: string) {
    super(message);
    this.name = 'NodeSdkError';
    this.code = code;
  }
}

/** True when `e` is a NodeSdkError. */
export function isNodeSdkError(e: unknown): e is NodeSdkError {
  return e instanceof NodeSdkError;
}
