/**
 * `dp-hyperlora batch`: run a shared workflow many times through ComfyUI's queue API, across one or more
 * servers, with progress, a resumable manifest and downloaded outputs (docs/batch.md). A thin adapter:
 * options are validated with zod into BatchOptions and handed to src/comfy/batch-run.ts.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { parsePromptsFile, parseSet, parseVary } from '../comfy/batch-plan.js';
import { runBatch, type BatchOptions } from '../comfy/batch-run.js';
import { loadWorkflowFile } from '../comfy/workflow-load.js';
import { DpHyperLoraError, ERROR_CODES, type ErrorCode } from '../errors.js';
import { barsReporter, jsonReporter, plainReporter, type BatchReporter } from './batch-progress.js';
import type { RegisterCommand } from './commands.js';

const Options = z.object({
  server: z.array(z.string().min(1)).min(1, 'give at least one --server URL'),
  workflow: z.string().min(1),
  out: z.string().min(1),
  set: z.array(z.string()).default([]),
  vary: z.array(z.string()).default([]),
  prompts: z.string().optional(),
  concurrency: z.coerce.number().int().min(1).max(64).default(2),
  retries: z.coerce.number().int().min(0).max(20).default(2),
  json: z.boolean().default(false),
  allowNewReleases: z.boolean().default(false),
});

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

async function resolveOptions(raw: unknown, signal: AbortSignal): Promise<{ opts: BatchOptions; json: boolean }> {
  const parsed = Options.safeParse(raw);
  if (!parsed.success) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `batch: ${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}.`);
  }
  const o = parsed.data;
  const promptsText = o.prompts === undefined ? undefined : await readFile(o.prompts, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `cannot read the --prompts file: ${e.code ?? e.message}.`, { cause: e });
  });
  const opts: BatchOptions = {
    servers: o.server,
    workflow: await loadWorkflowFile(o.workflow),
    outDir: o.out,
    set: Object.fromEntries(o.set.map(parseSet)),
    vary: o.vary.map(parseVary),
    ...(promptsText === undefined ? {} : { prompts: (p) => parsePromptsFile(promptsText, p) }),
    concurrency: o.concurrency,
    maxAttempts: o.retries + 1,
    allowNewReleases: o.allowNewReleases,
    signal,
  };
  return { opts, json: o.json };
}

function reporterFor(json: boolean): BatchReporter {
  if (json) return jsonReporter();
  return process.stderr.isTTY === true ? barsReporter() : plainReporter();
}

/** Registers `batch`. */
export const registerBatch: RegisterCommand = (program: Command, setStatus) => {
  program.command('batch')
    .description('Run a ComfyUI workflow many times through the queue API (resumable; several --server values share the jobs).')
    .requiredOption('--server <url>', 'ComfyUI server URL; repeat to spread jobs over several servers (least-loaded first)', collect)
    .requiredOption('--workflow <file>', 'workflow JSON, UI format or API format ("Export (API)")')
    .requiredOption('--out <dir>', 'folder for downloaded outputs and manifest.jsonl (rerunning with the same folder resumes)')
    .option('--set <NODE.inputs.FIELD=VALUE>', 'fix an input for every job (repeatable); VALUE is JSON or a plain string', collect)
    .option('--vary <NODE.inputs.FIELD=a..b>', 'one job per integer in a..b (repeatable: the product of all ranges)', collect)
    .option('--prompts <file>', 'one job per line: JSON objects of NODE.inputs.FIELD → value, or plain text for the workflow\'s one text input')
    .option('--concurrency <n>', 'prompts in flight per server', '2')
    .option('--retries <n>', 'retries of a job after a transient failure (server unreachable, lost prompt, out of memory)', '2')
    .option('--json', 'JSON lines on stdout (one per job event, then a summary)')
    .option('--allow-new-releases', 'let jobs change inputs up to Noisy Aggregate, making (and charging) one DP release per distinct value; refused by default')
    .action(async (raw: unknown) => {
      const ac = new AbortController();
      let interrupts = 0;
      const onSigint = (): void => {
        interrupts += 1;
        // First Ctrl-C: interrupt running prompts and record them; a second one leaves at once.
        if (interrupts === 1) { process.stderr.write('\nbatch: interrupting running prompts (Ctrl-C again to quit now)\n'); ac.abort(); } else process.exit(130);
      };
      process.on('SIGINT', onSigint);
      try {
        const { opts, json } = await resolveOptions(raw, ac.signal);
        const reporter = reporterFor(json);
        let summary;
        try {
          summary = await runBatch(opts, (e) => reporter.onEvent(e));
        } finally {
          reporter.stop();
        }
        if (json) process.stdout.write(`${JSON.stringify({ event: 'summary', ...summary })}\n`);
        else process.stderr.write(`batch: ${summary.succeeded} succeeded, ${summary.failed} failed, ${summary.interrupted} interrupted, ${summary.skipped} skipped; manifest ${summary.manifest}\n`);
        if (ac.signal.aborted) setStatus(ERROR_CODES.CANCELLED);
        else if (summary.firstError !== undefined) setStatus(ERROR_CODES[summary.firstError.code as ErrorCode] ?? 1);
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
};
