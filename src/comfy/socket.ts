/**
 * The `/ws?clientId=` connection to one ComfyUI server: validated messages out, reconnects with
 * exponential backoff and jitter when the connection drops, and a ping heartbeat so that a server that
 * vanished without closing the TCP connection is noticed too.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { DpHyperLoraError, isDpError } from '../errors.js';
import { logger } from '../log/logger.js';
import { parseWsBinary, type WsBinaryFrame } from './ws-binary.js';
import { parseWsText, type WsMessage } from './ws-messages.js';

const log = logger('comfy/socket');

/** Reconnect timing: delay = min(maxMs, initialMs · 2^attempt) · (0.5 … 1.0). */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/** Options of a socket. */
export interface SocketOptions {
  backoff?: BackoffOptions;
  /** Ping period in milliseconds; two missed pongs end the connection. Default 15 000. */
  heartbeatMs?: number;
  /** How the server is named in messages (its http URL); defaults to the socket URL. */
  serverLabel?: string;
}

/** Events: `message` (WsMessage), `binary` (WsBinaryFrame), `open` (reconnected: boolean), `down` (attempt: number), `protocolError` (DpHyperLoraError). */
export interface ComfySocketEvents {
  message: [WsMessage];
  binary: [WsBinaryFrame];
  open: [boolean];
  down: [number];
  protocolError: [DpHyperLoraError];
}

/** The delay before reconnect attempt `attempt` (0-based), with jitter so that many clients do not stampede. */
export function backoffDelayMs(attempt: number, b: BackoffOptions): number {
  const ceiling = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + Math.random() * 0.5));
}

/** One reconnecting /ws connection. */
export class ComfySocket extends EventEmitter<ComfySocketEvents> {
  private ws: WebSocket | undefined;
  private closedByUs = false;
  private attempt = 0;
  private everOpened = false;
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly backoff: BackoffOptions;
  private readonly heartbeatMs: number;
  private readonly label: string;

  constructor(private readonly wsUrl: URL, options: SocketOptions = {}) {
    super();
    this.backoff = options.backoff ?? { initialMs: 250, maxMs: 10_000 };
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.label = options.serverLabel ?? wsUrl.origin;
  }

  /** True while the connection is open. */
  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Opens the connection; resolves on the first open, rejects (COMFY_HTTP, transient) if it fails. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onOpen = (): void => { this.off('down', onDown); resolve(); };
      const onDown = (): void => {
        this.off('open', onOpen);
        reject(new DpHyperLoraError('COMFY_HTTP', `cannot open the ComfyUI websocket at ${this.label}/ws. Check that the server is running and the --server URL is right.`,
          { details: { transient: true, server: this.label } }));
      };
      this.once('open', onOpen);
      this.once('down', onDown);
      this.connect();
    });
  }

  /** Closes for good (no reconnect). */
  close(): void {
    this.closedByUs = true;
    clearTimeout(this.timer);
    clearInterval(this.heartbeat);
    this.ws?.terminate();
  }

  /** Drops the current connection as if the network failed (it then reconnects); for tests and diagnostics. */
  dropForTest(): void {
    this.ws?.terminate();
  }

  private connect(): void {
    const ws = new WebSocket(this.wsUrl, { perMessageDeflate: false });
    this.ws = ws;
    let alive = true;
    ws.on('open', () => {
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.attempt = 0;
      // Ask for type-4 previews, whose metadata names the prompt (reference/comfyui.md §4.3).
      ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
      clearInterval(this.heartbeat);
      this.heartbeat = setInterval(() => {
        if (!alive) { ws.terminate(); return; }
        alive = false;
        ws.ping();
      }, this.heartbeatMs).unref();
      this.emit('open', reconnected);
    });
    ws.on('pong', () => { alive = true; });
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('error', (e) => log.debug(`websocket ${this.wsUrl.origin}: ${e.message}`));
    ws.on('close', () => {
      clearInterval(this.heartbeat);
      if (this.ws !== ws || this.closedByUs) return;
      const attempt = this.attempt++;
      this.emit('down', attempt);
      this.timer = setTimeout(() => { if (!this.closedByUs) this.connect(); }, backoffDelayMs(attempt, this.backoff));
    });
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    try {
      if (isBinary) this.emit('binary', parseWsBinary(bytes));
      else this.emit('message', parseWsText(bytes.toString('utf8')));
    } catch (e) {
      if (!isDpError(e, 'COMFY_PROTOCOL')) throw e;
      log.warn(e.message);
      this.emit('protocolError', e);
    }
  }
}
