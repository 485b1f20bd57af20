/**
 * The one error class of dp-hyperlora. Every failure that reaches a user carries a code from the closed
 * set below (documented in docs/errors.md) and a message that names the value, why it is wrong, and what
 * to do. The CLI maps codes to exit statuses; the bridge shows the message in ComfyUI.
 *
 * Privacy rule: a message never contains private data (file names of private images, embedding values,
 * exact dataset sizes under add/remove). Callers that handle private data must build messages from
 * public quantities only.
 */
export const ERROR_CODES = {
  // Bad user input: fix the command or the node's inputs.
  INVALID_ARGUMENT: 2,
  INVALID_INPUT_DATA: 2,
  OUTPUT_EXISTS: 2,
  PATH_TRAVERSAL: 2,
  IMAGES_EMPTY: 2,
  IMAGE_UNREADABLE: 2,
  WORKFLOW_INVALID: 2,
  // Privacy budget.
  BUDGET_EXHAUSTED: 3,
  TOO_FEW_IMAGES: 3,
  // Ledger storage.
  LEDGER_CORRUPT: 4,
  LEDGER_FOREIGN: 4,
  LEDGER_KEY_MISSING: 4,
  LEDGER_BUSY: 4,
  // Model packs and files.
  PACK_NOT_FOUND: 5,
  PACK_INVALID: 5,
  PACK_HASH_MISMATCH: 5,
  PACK_INCOMPATIBLE: 5,
  SAFETENSORS_INVALID: 5,
  // Runtime.
  ONNX_RUNTIME: 6,
  PROVIDER_UNAVAILABLE: 6,
  // Bridge and ComfyUI.
  PROTOCOL: 7,
  AUTH_FAILED: 7,
  WORKER_UNAVAILABLE: 7,
  CANCELLED: 130,
  TIMEOUT: 7,
  COMFY_HTTP: 8,
  COMFY_VALIDATION: 8,
  COMFY_EXECUTION: 8,
  COMFY_PROTOCOL: 8,
  // A bug in dp-hyperlora: please report it.
  INTERNAL: 70,
} as const;

/** A code from the closed set of error codes. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The one error class. `code` is stable and machine-readable; `message` is for people. */
export class DpHyperLoraError extends Error {
  readonly code: ErrorCode;
  /** Optional structured, non-private details (field names, limits), for --json output. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DpHyperLoraError';
    this.code = code;
    this.details = options?.details;
  }

  /** The process exit status the CLI uses for this error. */
  get exitCode(): number {
    return ERROR_CODES[this.code];
  }
}

/** True when `e` is a DpHyperLoraError, optionally with the given code. */
export function isDpError(e: unknown, code?: ErrorCode): e is DpHyperLoraError {
  return e instanceof DpHyperLoraError && (code === undefined || e.code === code);
}
