/**
 * Spreads jobs over several ComfyUI servers, least-loaded first: each free slot goes to the available
 * server with the fewest prompts (ours in flight, or the server's own queue if other clients keep it
 * busier), up to `perServer` of ours at a time. A transient failure puts the job back (preferring another
 * server next time) until `maxAttempts`; a permanent one is reported and the batch goes on. After the
 * signal aborts, no job starts and running ones are left to their own abort handling.
 */
import { DpHyperLoraError, isDpError } from '../errors.js';
import type { ComfyClient } from './client.js';
import { isTransient } from './rest.js';

/** Scheduler settings. */
export interface ScheduleOptions {
  /** Our prompts in flight per server (queued or running there). */
  perServer: number;
  /** Attempts per job, the first included. */
  maxAttempts: number;
  /** Wait before a retry, multiplied by the attempt number (ms). */
  retryDelayMs: number;
  signal?: AbortSignal;
}

/** How one job ended. */
export type JobEnd<R> =
  | { ok: true; value: R; attempts: number; server: ComfyClient }
  | { ok: false; error: DpHyperLoraError; attempts: number; server: ComfyClient | undefined };

/** Callbacks. `run` does one attempt of a job on a server. */
export interface ScheduleHooks<J, R> {
  run(job: J, server: ComfyClient, attempt: number): Promise<R>;
  onRetry?(job: J, error: DpHyperLoraError, attempt: number, server: ComfyClient): void;
  onEnd(job: J, end: JobEnd<R>): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Our jobs per server, counted from start to end of an attempt (prompt and downloads). */
type Active = Map<ComfyClient, number>;

/** Load of a server as the scheduler sees it: our jobs there, or its whole queue if other clients keep it busier. */
function load(c: ComfyClient, active: Active): number {
  return Math.max(active.get(c) ?? 0, c.inFlight, c.queueRemaining);
}

/** Picks the least-loaded server with a free slot, avoiding `avoid` when another choice exists. */
function pick(servers: readonly ComfyClient[], perServer: number, avoid: ComfyClient | undefined, active: Active): ComfyClient | undefined {
  const free = servers.filter((s) => Math.max(active.get(s) ?? 0, s.inFlight) < perServer);
  const up = free.filter((s) => s.available);
  const pool = up.length > 0 ? up : free.filter(() => servers.every((s) => !s.available));
  const preferred = pool.filter((s) => s !== avoid);
  const choices = preferred.length > 0 ? preferred : pool;
  let best: ComfyClient | undefined;
  for (const s of choices) if (best === undefined || load(s, active) < load(best, active)) best = s;
  return best;
}

/** Runs every job; resolves when all ended (or, after abort, when the running ones ended). */
export async function schedule<J, R>(jobs: readonly J[], servers: readonly ComfyClient[], opts: ScheduleOptions, hooks: ScheduleHooks<J, R>): Promise<void> {
  const queue = jobs.map((job) => ({ job, attempt: 1, last: undefined as ComfyClient | undefined, notBefore: 0 }));
  const running = new Set<Promise<void>>();
  const active: Active = new Map();
  let wake: () => void = () => undefined;
  while ((queue.length > 0 && opts.signal?.aborted !== true) || running.size > 0) {
    const now = Date.now();
    const k = queue.findIndex((q) => q.notBefore <= now);
    const entry = k >= 0 && opts.signal?.aborted !== true ? queue[k] : undefined;
    const server = entry === undefined ? undefined : pick(servers, opts.perServer, entry.last, active);
    if (entry !== undefined && server !== undefined) {
      queue.splice(k, 1);
      active.set(server, (active.get(server) ?? 0) + 1);
      const p: Promise<void> = hooks.run(entry.job, server, entry.attempt).then(
        (value) => hooks.onEnd(entry.job, { ok: true, value, attempts: entry.attempt, server }),
        (e: unknown) => {
          const error = isDpError(e) ? e : new DpHyperLoraError('INTERNAL', `unexpected failure: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
          if (isTransient(error) && entry.attempt < opts.maxAttempts && opts.signal?.aborted !== true) {
            hooks.onRetry?.(entry.job, error, entry.attempt, server);
            queue.push({ job: entry.job, attempt: entry.attempt + 1, last: server, notBefore: Date.now() + opts.retryDelayMs * entry.attempt });
          } else {
            hooks.onEnd(entry.job, { ok: false, error, attempts: entry.attempt, server });
          }
        },
      ).finally(() => { running.delete(p); active.set(server, (active.get(server) ?? 1) - 1); wake(); });
      running.add(p);
      continue;
    }
    // Nothing can start now: wait for a job to end, a retry to come due, or a server to come back.
    const nextDue = queue.length > 0 ? Math.max(10, Math.min(...queue.map((q) => q.notBefore)) - now) : 1000;
    await Promise.race([new Promise<void>((r) => { wake = r; }), sleep(Math.min(nextDue, 250))]);
  }
}
