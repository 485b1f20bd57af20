/**
 * The worker's side of the bridge connection: comfyui-node-ts-sdk's (a WebSocket client that authenticates with a
 * bearer token, says hello, offers shared memory and hands messages to the node host; a spawned local worker exits
 * when the connection closes, a remote worker reconnects with backoff), with our version, our shared-memory folder
 * naming, our logger and our error class.
 */
import { connectOnce as sdkConnectOnce, serveBridge as sdkServeBridge } from 'comfyui-node-ts-sdk';
import { logger } from '../log/logger.js';
import { VERSION } from '../version.js';
import type { NodeHost } from './node-host.js';
import { WORKER_ROUTE } from './protocol.js';
import { toOurs } from './sdk-errors.js';
import { SHM_NAMING } from './shared-memory.js';

const log = logger('worker');

/** Options of one worker connection loop. */
export interface ConnectOptions {
  /** ws://HOST:PORT/dp_hyperlora/worker */
  readonly url: string;
  readonly token: string;
  readonly host: NodeHost;
  /** Reconnect after a lost connection (remote workers); a spawned worker runs once. */
  readonly reconnect: boolean;
  /** Stops the loop (tests, SIGINT). */
  readonly signal?: AbortSignal;
}

function sdkOptions(o: ConnectOptions): Parameters<typeof sdkConnectOnce>[0] {
  return { ...o, version: VERSION, route: WORKER_ROUTE, shm: SHM_NAMING, log };
}

/** Connects once and serves until the connection closes. Resolves with the close code. */
export function connectOnce(o: ConnectOptions): Promise<number> {
  return sdkConnectOnce(sdkOptions(o)).catch((e: unknown) => { throw toOurs(e); });
}

/** Serves the bridge; reconnects with capped exponential backoff when `reconnect` is set. */
export function serveBridge(o: ConnectOptions): Promise<void> {
  return sdkServeBridge(sdkOptions(o)).catch((e: unknown) => { throw toOurs(e); });
}
