/**
 * The worker's side of the bridge connection: a WebSocket client that authenticates with a bearer token,
 * says hello, and hands messages to the node host. A spawned local worker exits when the connection closes
 * (the bridge starts a fresh one on the next execution); a remote worker reconnects with backoff.
 */
import WebSocket from 'ws';
import { NodeSdkError } from './errors.js';
import { SILENT_LOGGER, type SdkLogger } from './logger.js';
import type { NodeHost } from './node-host.js';
import type { NodeDefinition, PackTypes } from './node-definition.js';
import { SharedMemoryChannel, type ShmNaming } from './shared-memory.js';
import { bridgeMessageSchema, describeIssues, PROTOCOL_VERSION, type WorkerMessage } from './protocol.js';

/** Options of one worker connection loop. */
export interface ConnectOptions<T extends PackTypes = PackTypes> {
  /** The bridge's WebSocket, e.g. ws://HOST:PORT/my_pack/worker */
  readonly url: string;
  readonly token: string;
  readonly host: NodeHost<T, NodeDefinition<T>>;
  /** The pack's version, sent in `hello` (the bridge logs it). */
  readonly version: string;
  /** The route's path (e.g. `/my_pack/worker`), named when a URL answers with something else than a WebSocket. */
  readonly route?: string;
  /** Shared-memory folder naming; absent: tensors always go over the WebSocket. */
  readonly shm?: ShmNaming;
  readonly log?: SdkLogger;
  /** Reconnect after a lost connection (remote workers); a spawned worker runs once. */
  readonly reconnect: boolean;
  /** Stops the loop (tests, SIGINT). */
  readonly signal?: AbortSignal;
}

/** The largest WebSocket message accepted: one tensor chunk plus headroom. */
const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/** A shared-memory channel for this connection, unless turned off or the folder cannot be made. */
function openSharedMemory(naming: ShmNaming | undefined, log: SdkLogger): SharedMemoryChannel | undefined {
  if (naming === undefined || process.env[naming.offEnv] === 'off') return undefined;
  try {
    return new SharedMemoryChannel(naming);
  } catch (e) {
    log.warn(`shared memory not available (${(e as NodeJS.ErrnoException).code ?? 'error'}); tensors go over the WebSocket`);
    return undefined;
  }
}

/** Connects once and serves until the connection closes. Resolves with the close code. */
export function connectOnce<T extends PackTypes>(o: ConnectOptions<T>): Promise<number> {
  const log = o.log ?? SILENT_LOGGER;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(o.url, { headers: { Authorization: `Bearer ${o.token}` }, maxPayload: MAX_PAYLOAD_BYTES, perMessageDeflate: false });
    let welcomed = false;
    const shm = openSharedMemory(o.shm, log);
    // The folder goes with the connection, and with the process if it exits without closing the socket.
    const disposeShm = (): void => shm?.dispose();
    process.once('exit', disposeShm);
    const transport = {
      sendText: (m: WorkerMessage) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m)); },
      sendBinary: (frame: Buffer) => { if (ws.readyState === WebSocket.OPEN) ws.send(frame, { binary: true }); },
      ...(shm ? { shm } : {}),
    };
    const onAbort = (): void => ws.close(1000, 'worker stopping');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      process.removeListener('exit', disposeShm);
      disposeShm();
      ws.terminate();
      reject(status === 401 || status === 403
        ? new NodeSdkError('AUTH_FAILED', `the bridge at ${o.url} refused this worker's token (HTTP ${status}); pass the token file the bridge wrote (--token-file) or let ComfyUI start the worker itself.`)
        : new NodeSdkError('WORKER_UNAVAILABLE', `the bridge at ${o.url} answered HTTP ${status} instead of a WebSocket; check the URL (it ends in ${o.route ?? "the node pack's worker route"}) and that the plugin is installed.`));
    });
    ws.on('open', () => {
      log.info(`connected to ${o.url}`);
      transport.sendText({ type: 'hello', protocol: PROTOCOL_VERSION, version: o.version, nodes: o.host.nodeIds, ...(shm ? { shm: { dir: shm.dir, probe: shm.probe } } : {}) });
    });
    ws.on('message', (data, isBinary) => {
      try {
        // ws hands over a Buffer for our settings (no fragments); only copy in the other shapes it may use.
        const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        if (isBinary) { o.host.onBinary(bytes, shm); return; }
        const parsed = bridgeMessageSchema.safeParse(JSON.parse(bytes.toString('utf8')));
        if (!parsed.success) throw new NodeSdkError('PROTOCOL', `bad message from the bridge: ${describeIssues(parsed.error)}`);
        if (parsed.data.type === 'welcome') {
          welcomed = true;
          if (shm !== undefined) {
            shm.enabled = parsed.data.shm === true;
            if (!shm.enabled) shm.dispose();
          }
          log.info(`tensors travel ${shm?.enabled === true ? 'through shared memory' : 'over the WebSocket'}`);
          return;
        }
        if (!welcomed) throw new NodeSdkError('PROTOCOL', 'the bridge sent work before its welcome.');
        o.host.onMessage(parsed.data, transport);
      } catch (e) {
        log.error(`closing the connection: ${e instanceof Error ? e.message : String(e)}`);
        ws.close(1002, 'protocol error');
      }
    });
    ws.on('error', (e) => log.warn(`connection error: ${e.message}`));
    ws.on('close', (code) => {
      o.signal?.removeEventListener('abort', onAbort);
      o.host.abortAll();
      process.removeListener('exit', disposeShm);
      disposeShm();
      if (!welcomed && code !== 1000) log.warn(`connection closed before the bridge welcomed this worker (code ${code})`);
      resolve(code);
    });
  });
}

/** Serves the bridge; reconnects with capped exponential backoff when `reconnect` is set. */
export async function serveBridge<T extends PackTypes>(o: ConnectOptions<T>): Promise<void> {
  const log = o.log ?? SILENT_LOGGER;
  let backoffMs = 500;
  for (;;) {
    try {
      await connectOnce(o);
      backoffMs = 500;
    } catch (e) {
      if (e instanceof NodeSdkError && e.code === 'AUTH_FAILED') throw e;
      if (!o.reconnect) throw e;
      log.warn(e instanceof Error ? e.message : String(e));
    }
    if (!o.reconnect || o.signal?.aborted) return;
    log.info(`reconnecting in ${backoffMs} ms`);
    await new Promise((r) => setTimeout(r, backoffMs));
    backoffMs = Math.min(backoffMs * 2, 10_000);
  }
}
