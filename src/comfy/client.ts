/**
 * A queue-API client for one ComfyUI server: submits API-format prompts, follows them over /ws, and
 * settles each with its outputs or a typed error. When the socket drops it reconnects (with backoff) and
 * recovers every in-flight prompt's status from /history (and /queue); when the server stays unreachable
 * longer than `reconnectGiveUpMs`, in-flight prompts fail with a transient COMFY_HTTP error.
 */
import { randomUUID } from 'node:crypto';
import { DpHyperLoraError, isDpError } from '../errors.js';
import { logger } from '../log/logger.js';
import { outcomeFromHistory, type PromptSuccess } from './outcome.js';
import { PromptTracker, type PromptProgress, type TrackerEnd } from './prompt-tracker.js';
import { ComfyRest, type RestOptions } from './rest.js';
import { ComfySocket, type SocketOptions } from './socket.js';
import type { ApiPrompt } from './workflow-api.js';
import { promptIdOf, type WsMessage } from './ws-messages.js';

const log = logger('comfy/client');

/** Options of a client. */
export interface ClientOptions extends RestOptions, SocketOptions {
  /** Our /ws client id; random by default. */
  clientId?: string;
  /** How long the server may stay unreachable before in-flight prompts fail (ms). Default 60 000. */
  reconnectGiveUpMs?: number;
  /** How long cancel() waits for the server to confirm an interrupt (ms). Default 5 000. */
  cancelWaitMs?: number;
}

/** Options of one run. */
export interface RunOptions {
  /** Aborting interrupts the prompt on the server (or removes it from the queue) and rejects with CANCELLED. */
  signal?: AbortSignal;
  onProgress?: (p: PromptProgress) => void;
  /** Called once the server accepted the prompt. */
  onQueued?: (promptId: string) => void;
}

interface Pending {
  tracker: PromptTracker;
  /** Settles when POST /prompt did (true: accepted). */
  posted: Promise<boolean>;
  resolve: (s: PromptSuccess) => void;
  reject: (e: DpHyperLoraError) => void;
}

/** A client for one ComfyUI server. */
export class ComfyClient {
  readonly rest: ComfyRest;
  readonly clientId: string;
  /** The server's queue length from its last `status` message (all clients' prompts). */
  queueRemaining = 0;
  private readonly socket: ComfySocket;
  private readonly pending = new Map<string, Pending>();
  private readonly giveUpMs: number;
  private readonly cancelWaitMs: number;
  private downSince: number | undefined;
  private giveUpTimer: NodeJS.Timeout | undefined;

  constructor(serverUrl: string, options: ClientOptions = {}) {
    this.rest = new ComfyRest(serverUrl, options);
    this.clientId = options.clientId ?? randomUUID().replace(/-/g, '');
    this.giveUpMs = options.reconnectGiveUpMs ?? 60_000;
    this.cancelWaitMs = options.cancelWaitMs ?? 5_000;
    const wsUrl = this.rest.url('ws');
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    wsUrl.searchParams.set('clientId', this.clientId);
    this.socket = new ComfySocket(wsUrl, { serverLabel: this.rest.label, ...options });
    this.socket.on('message', (m) => this.onMessage(m));
    this.socket.on('protocolError', (e) => this.onProtocolError(e));
    this.socket.on('down', () => this.onDown());
    this.socket.on('open', (reconnected) => this.onOpen(reconnected));
  }

  /** The server's URL, for messages and the manifest. */
  get label(): string {
    return this.rest.label;
  }

  /** Prompts of ours not yet settled. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** True when the socket is open, or dropped recently enough that recovery is still expected. */
  get available(): boolean {
    return this.socket.connected || (this.downSince !== undefined && Date.now() - this.downSince < this.giveUpMs);
  }

  /** Opens the /ws connection. Rejects with a transient COMFY_HTTP error when the server cannot be reached. */
  async connect(): Promise<void> {
    await this.socket.start();
  }

  /** Closes the connection; in-flight prompts are left running on the server. */
  close(): void {
    clearTimeout(this.giveUpTimer);
    this.socket.close();
  }

  /** Drops the /ws connection as a network failure would (it reconnects); for tests and benchmarks. */
  dropSocketForTest(): void {
    this.socket.dropForTest();
  }

  /** Queues `prompt` and resolves with its outputs once it ran. */
  run(prompt: ApiPrompt, options: RunOptions = {}): Promise<PromptSuccess> {
    if (options.signal?.aborted === true) return Promise.reject(this.cancelled('before it was queued'));
    if (!this.available) {
      return Promise.reject(new DpHyperLoraError('COMFY_HTTP', `ComfyUI at ${this.label} is unreachable (its websocket is down).`, { details: { transient: true, server: this.label } }));
    }
    const promptId = randomUUID();
    return new Promise<PromptSuccess>((resolve, reject) => {
      const tracker = new PromptTracker(promptId, Object.keys(prompt).length, this.label, options.onProgress);
      const onAbort = (): void => { void this.cancel(promptId); };
      const cleanup = (): void => { options.signal?.removeEventListener('abort', onAbort); this.pending.delete(promptId); };
      // The POST is not aborted with the signal: the server may already have queued the prompt, and
      // cancel() must know that to remove it; it waits for this promise instead.
      const posted = this.rest.postPrompt({ prompt, clientId: this.clientId, promptId }).then(
        () => { tracker.accepted = true; options.onQueued?.(promptId); return true; },
        (e: unknown) => { this.settle(promptId, { kind: 'failed', error: this.asError(e) }); return false; },
      );
      // Registered before the POST is answered: ComfyUI may start (and message about) the prompt first.
      this.pending.set(promptId, {
        tracker,
        posted,
        resolve: (s) => { cleanup(); resolve(s); },
        reject: (e) => { cleanup(); reject(e); },
      });
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Stops one of our prompts: drops it from the queue if it waits there; if it runs, interrupts it and
   * waits (up to `cancelWaitMs`) for the server to confirm, so the caller learns how it really ended (it
   * may even have finished). Otherwise it rejects with CANCELLED.
   */
  async cancel(promptId: string): Promise<void> {
    const p = this.pending.get(promptId);
    if (p === undefined) return;
    p.tracker.interruptedByUs = true;
    if (!(await p.posted)) return; // never queued: the POST failure already settled it
    try {
      await this.rest.request('queue', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delete: [promptId] }) });
      const queue = await this.rest.queue();
      if (queue.queue_running.some((item) => item[1] === promptId)) {
        await this.rest.interrupt(promptId);
        const deadline = Date.now() + this.cancelWaitMs;
        while (this.pending.has(promptId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      }
    } catch (e) {
      log.warn(`could not interrupt a prompt on ${this.label}: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.settle(promptId, { kind: 'failed', error: this.cancelled('by the user') });
  }

  private cancelled(when: string): DpHyperLoraError {
    return new DpHyperLoraError('CANCELLED', `the prompt on ${this.label} was cancelled ${when}.`, { details: { transient: false, cancelled: true } });
  }

  private asError(e: unknown): DpHyperLoraError {
    if (e instanceof DpHyperLoraError) return e;
    if (e instanceof Error && e.name === 'AbortError') return this.cancelled('by the user');
    return new DpHyperLoraError('INTERNAL', `unexpected failure talking to ${this.label}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }

  private onMessage(msg: WsMessage): void {
    if (msg.type === 'status') {
      this.queueRemaining = msg.data.status.exec_info.queue_remaining;
      return;
    }
    if (msg.type === 'other' || msg.type === 'feature_flags') return;
    const id = promptIdOf(msg);
    const p = id === undefined ? undefined : this.pending.get(id);
    if (p === undefined || id === undefined) return;
    const end = p.tracker.handle(msg);
    if (end !== undefined) this.settle(id, end);
  }

  /** Settles a prompt once. Success and an unexplained end read /history (authoritative outputs). */
  private settle(promptId: string, end: TrackerEnd): void {
    const p = this.pending.get(promptId);
    if (p === undefined || p.tracker.settled) return;
    if (end.kind === 'failed') {
      p.tracker.settled = true;
      p.reject(end.error);
      return;
    }
    // On execution_success ComfyUI may not have written history yet; it has once `executing null` arrives.
    if (end.kind === 'success') { p.tracker.sawSuccess = true; return; }
    p.tracker.settled = true;
    void this.finishFromHistory(p);
  }

  private async finishFromHistory(p: Pending): Promise<void> {
    const id = p.tracker.promptId;
    try {
      const entry = await this.rest.history(id);
      if (entry === undefined) {
        if (p.tracker.sawSuccess) p.resolve(p.tracker.successFromMessages());
        else p.reject(new DpHyperLoraError('COMFY_EXECUTION', `the prompt ended on ${this.label} but has no history entry.`, { details: { transient: true, prompt_id: id } }));
        return;
      }
      const outcome = outcomeFromHistory(id, entry, this.label, p.tracker.interruptedByUs);
      if (outcome instanceof DpHyperLoraError) p.reject(outcome);
      else p.resolve(outcome);
    } catch (e) {
      if (p.tracker.sawSuccess) p.resolve(p.tracker.successFromMessages());
      else p.reject(this.asError(e));
    }
  }

  private onProtocolError(e: DpHyperLoraError): void {
    const id = e.details?.prompt_id;
    const targets = typeof id === 'string' && this.pending.has(id) ? [id] : [...this.pending.keys()];
    for (const t of targets) this.settle(t, { kind: 'failed', error: e });
  }

  private onDown(): void {
    if (this.downSince !== undefined) return;
    this.downSince = Date.now();
    log.warn(`lost the websocket to ${this.label}; reconnecting`);
    this.giveUpTimer = setTimeout(() => {
      const lost = new DpHyperLoraError('COMFY_HTTP', `lost ComfyUI at ${this.label}: no connection for ${Math.round(this.giveUpMs / 1000)} s.`, { details: { transient: true, server: this.label } });
      for (const id of [...this.pending.keys()]) this.settle(id, { kind: 'failed', error: lost });
    }, this.giveUpMs);
  }

  private onOpen(reconnected: boolean): void {
    clearTimeout(this.giveUpTimer);
    this.downSince = undefined;
    if (reconnected) void this.recover();
  }

  /** After a reconnect: every in-flight prompt that ended meanwhile is settled from /history; one the server lost fails (transient). */
  private async recover(): Promise<void> {
    const ids = [...this.pending.keys()];
    if (ids.length === 0) return;
    log.info(`reconnected to ${this.label}; checking ${ids.length} prompt(s) in /history`);
    try {
      const queue = await this.rest.queue();
      const live = new Set([...queue.queue_running, ...queue.queue_pending].map((item) => item[1]));
      for (const id of ids) {
        const p = this.pending.get(id);
        if (p === undefined || p.tracker.settled) continue;
        const entry = await this.rest.history(id);
        if (entry !== undefined) {
          p.tracker.settled = true;
          const outcome = outcomeFromHistory(id, entry, this.label, p.tracker.interruptedByUs);
          if (outcome instanceof DpHyperLoraError) p.reject(outcome);
          else p.resolve(outcome);
        } else if (p.tracker.accepted && !live.has(id)) {
          // Not queued, not running, no history: the server restarted and forgot it (or never got the POST).
          this.settle(id, { kind: 'failed', error: new DpHyperLoraError('COMFY_EXECUTION', `ComfyUI at ${this.label} lost the prompt (it is neither queued nor in history, e.g. after a restart).`, { details: { transient: true, prompt_id: id } }) });
        }
      }
    } catch (e) {
      if (!isDpError(e)) throw e;
      log.warn(`recovery from /history on ${this.label} failed: ${e.message}`);
    }
  }
}
