/**
 * `batch`: runs one workflow many times across one or more ComfyUI servers. Loads the workflow (UI or API
 * format), checks it against the first server's /object_info, plans the jobs, skips the ones the manifest
 * records as finished, schedules the rest least-loaded first, downloads every output file, and appends
 * one manifest line per job. Aborting (Ctrl-C) interrupts the running prompts and records them as
 * `interrupted`; finished jobs stay recorded, so a rerun picks up where this one stopped.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DpHyperLoraError } from '../errors.js';
import { planJobs, type BatchJob, type VarySpec } from './batch-plan.js';
import { ComfyClient, type ClientOptions } from './client.js';
import { MANIFEST_NAME, ManifestWriter, readManifest, type ManifestLine } from './manifest.js';
import { collectFileRefs, downloadOutputs } from './outputs.js';
import { assertPromptValid, findPromptProblems } from './prompt-check.js';
import { assertNoNewReleases } from './release-guard.js';
import type { PromptProgress } from './prompt-tracker.js';
import { schedule, type ScheduleHooks } from './scheduler.js';
import type { ApiPrompt } from './workflow-api.js';
import { toApiPrompt, type LoadedWorkflow } from './workflow-load.js';

/** Everything a batch needs, already validated by the CLI. */
export interface BatchOptions {
  servers: string[];
  workflow: LoadedWorkflow;
  outDir: string;
  set: Record<string, unknown>;
  vary: VarySpec[];
  /** Lines from --prompts, already parsed; or a parser that needs the API prompt (plain-text lines). */
  prompts?: (prompt: ApiPrompt) => Record<string, unknown>[];
  /** Our prompts in flight per server. */
  concurrency: number;
  maxAttempts: number;
  /** Let the jobs make more than one DP release at a Noisy Aggregate node (each is charged); off by default. */
  allowNewReleases?: boolean;
  retryDelayMs?: number;
  signal?: AbortSignal;
  client?: ClientOptions;
}

/** Progress events, for the CLI's bars, plain lines or JSON lines. */
export type BatchEvent =
  | { type: 'plan'; total: number; skipped: number; servers: string[] }
  | { type: 'start'; job: string; server: string; attempt: number }
  | { type: 'progress'; job: string; fraction: number; node: string | undefined }
  | { type: 'retry'; job: string; server: string; attempt: number; error: { code: string; message: string } }
  | { type: 'done'; line: ManifestLine };

/** The outcome of a batch. */
export interface BatchSummary {
  total: number;
  skipped: number;
  succeeded: number;
  failed: number;
  interrupted: number;
  manifest: string;
  /** The first failure, for the exit status. */
  firstError?: { code: string; message: string };
}

async function connectAll(urls: string[], options: ClientOptions): Promise<ComfyClient[]> {
  const clients = urls.map((u) => new ComfyClient(u, options));
  const results = await Promise.allSettled(clients.map((c) => c.connect()));
  if (results.every((r) => r.status === 'rejected')) {
    for (const c of clients) c.close();
    throw new DpHyperLoraError('COMFY_HTTP', `no ComfyUI server could be reached (${urls.join(', ')}). Start ComfyUI or fix --server.`, { details: { transient: true } });
  }
  return clients;
}

function planFor(opts: BatchOptions, info: Awaited<ReturnType<ComfyClient['rest']['objectInfo']>>, label: string): BatchJob[] {
  const base = toApiPrompt(opts.workflow, info);
  const jobs = planJobs(base, opts.set, opts.vary, opts.prompts?.(base));
  if (opts.allowNewReleases !== true) assertNoNewReleases(jobs);
  const first = jobs[0];
  if (first !== undefined) assertPromptValid(first.prompt, info, label);
  const problems = jobs.flatMap((j) => findPromptProblems(j.prompt, info).map((p) => `${j.name}: ${p}`));
  if (problems.length > 0) {
    throw new DpHyperLoraError('WORKFLOW_INVALID', `some jobs do not fit the server's nodes: ${problems.slice(0, 20).join('; ')}${problems.length > 20 ? `; and ${problems.length - 20} more` : ''}.`, { details: { problems } });
  }
  return jobs;
}

/** Appends manifest lines and keeps the summary counts in step with them. */
function recorder(writer: ManifestWriter, summary: BatchSummary, onEvent: (e: BatchEvent) => void) {
  return (job: BatchJob, partial: Omit<ManifestLine, 'job' | 'key' | 'inputs' | 'finished_at'>): void => {
    const line: ManifestLine = { job: job.name, key: job.key, inputs: job.inputs, ...partial, finished_at: new Date().toISOString() };
    writer.append(line);
    if (line.status === 'success') summary.succeeded += 1;
    else if (line.status === 'interrupted') summary.interrupted += 1;
    else summary.failed += 1;
    if (line.error !== undefined && line.status === 'failed') summary.firstError ??= line.error;
    onEvent({ type: 'done', line });
  };
}

/** The scheduler hooks of a batch: one attempt runs the prompt and downloads its files; each end is recorded. */
function batchHooks(opts: BatchOptions, onEvent: (e: BatchEvent) => void, record: ReturnType<typeof recorder>): ScheduleHooks<BatchJob, { promptId: string; files: string[] }> {
  const promptIds = new Map<BatchJob, string>();
  return {
    run: async (job, server, attempt) => {
      onEvent({ type: 'start', job: job.name, server: server.label, attempt });
      const result = await server.run(job.prompt, {
        ...(opts.signal ? { signal: opts.signal } : {}),
        onQueued: (id) => promptIds.set(job, id),
        onProgress: (p: PromptProgress) => onEvent({ type: 'progress', job: job.name, fraction: p.fraction, node: p.node }),
      });
      // Not aborted with the signal: a prompt that finished despite Ctrl-C is kept, with its files.
      return { promptId: result.promptId, files: await downloadOutputs(server.rest, collectFileRefs(result.outputs), opts.outDir, job.name) };
    },
    onRetry: (job, error, attempt, server) => onEvent({ type: 'retry', job: job.name, server: server.label, attempt, error: { code: error.code, message: error.message } }),
    onEnd: (job, end) => {
      if (end.ok) {
        record(job, { prompt_id: end.value.promptId, server: end.server.label, files: end.value.files, status: 'success', attempts: end.attempts });
        return;
      }
      const cancelled = end.error.code === 'CANCELLED' && opts.signal?.aborted === true;
      record(job, {
        prompt_id: promptIds.get(job) ?? null, server: end.server?.label ?? null, files: [],
        status: cancelled ? 'interrupted' : 'failed', attempts: end.attempts, error: { code: end.error.code, message: end.error.message },
      });
    },
  };
}

/** Runs a batch; `onEvent` receives progress. Resolves with the summary (also after an abort). */
export async function runBatch(opts: BatchOptions, onEvent: (e: BatchEvent) => void): Promise<BatchSummary> {
  await mkdir(opts.outDir, { recursive: true });
  const manifestPath = join(opts.outDir, MANIFEST_NAME);
  const clients = await connectAll(opts.servers, opts.client ?? {});
  const writer = new ManifestWriter(manifestPath);
  const summary: BatchSummary = { total: 0, skipped: 0, succeeded: 0, failed: 0, interrupted: 0, manifest: manifestPath };
  try {
    const probe = clients.find((c) => c.available) as ComfyClient;
    const jobs = planFor(opts, await probe.rest.objectInfo(opts.signal), probe.label);
    const finished = readManifest(manifestPath);
    const todo = jobs.filter((j) => finished.get(j.key)?.status !== 'success');
    Object.assign(summary, { total: jobs.length, skipped: jobs.length - todo.length });
    onEvent({ type: 'plan', total: jobs.length, skipped: summary.skipped, servers: clients.map((c) => c.label) });
    const scheduleOptions = { perServer: opts.concurrency, maxAttempts: opts.maxAttempts, retryDelayMs: opts.retryDelayMs ?? 1000, ...(opts.signal ? { signal: opts.signal } : {}) };
    await schedule(todo, clients, scheduleOptions, batchHooks(opts, onEvent, recorder(writer, summary, onEvent)));
    return summary;
  } finally {
    writer.close();
    for (const c of clients) c.close();
  }
}
