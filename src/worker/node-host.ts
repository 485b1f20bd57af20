/**
 * The node host that runs nodes/*.ts for the bridge: comfyui-node-ts-sdk's NodeHost (decode inputs, execute with
 * an abort signal and progress, send the result or an error, heartbeat, cancel) with our rules:
 * - errors sent to ComfyUI carry the DpHyperLoraError code and message, which by the project's rule never hold
 *   private data; any other exception is reported as INTERNAL without its message, because its text could come
 *   from a library that saw private data (a file name in an I/O error, for example);
 * - a node that reads the private set (`readsPrivateData`) takes time that grows with n, so its compute time stays
 *   in this process: not in the result, not in the log;
 * - handles are our HandleStore (an expired one is WORKER_UNAVAILABLE with reason `handle_expired`).
 */
import { NodeHost as SdkNodeHost, type ErrorReport, type WorkerMessage } from 'comfyui-node-ts-sdk';
import { DpHyperLoraError, isDpError } from '../errors.js';
import { logger } from '../log/logger.js';
import { HANDLE_EXPIRED, HandleStore } from './handles.js';
import type { DpPackTypes, NodeDefinition, WorkerSettings } from './node-definition.js';
import { toOurs } from './sdk-errors.js';

export type { HostTransport } from 'comfyui-node-ts-sdk';

const log = logger('worker');

/** Options of the node host. */
export interface NodeHostOptions {
  readonly settings: WorkerSettings;
  /** Milliseconds between `alive` heartbeats while a call runs. */
  readonly heartbeatMs?: number;
}

/** What ComfyUI is told about a failed call (see the module comment). */
export function describeError(e: unknown, node: string): ErrorReport {
  const err = toOurs(e);
  if (isDpError(err)) {
    return { code: err.code, message: err.message, ...(err.details?.reason === HANDLE_EXPIRED ? { reason: HANDLE_EXPIRED } : {}) };
  }
  // The stack shows where, without the message text (which may quote a private path).
  log.error(`${node} failed with an unexpected ${err instanceof Error ? err.name : typeof err}; stack:\n${err instanceof Error ? (err.stack ?? '').split('\n').slice(1).join('\n') : ''}`);
  return {
    code: 'INTERNAL',
    message: `${node} failed unexpectedly (${err instanceof Error ? err.name : 'error'}); the details are withheld because they could contain private data. This is a bug; please report it with the worker log.`,
  };
}

/** Builds the `error` message for a failed call; non-DpHyperLoraError text is withheld (see module comment). */
export function errorMessage(id: string, node: string, e: unknown): WorkerMessage {
  return { type: 'error', id, ...describeError(e, node) };
}

/** Runs nodes on behalf of the bridge; one instance per worker process (handles outlive connections). */
export class NodeHost extends SdkNodeHost<DpPackTypes, NodeDefinition> {
  constructor(nodes: readonly NodeDefinition[], options: NodeHostOptions) {
    super(nodes, {
      ...options,
      log,
      handles: new HandleStore(),
      describeError,
      cancelReason: (why) => new DpHyperLoraError('CANCELLED', why === 'interrupt' ? 'cancelled by ComfyUI (interrupt).' : 'the bridge connection closed.'),
      reportsTiming: (node) => node.readsPrivateData !== true,
    });
  }
}
