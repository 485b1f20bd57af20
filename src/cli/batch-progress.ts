/**
 * How `batch` shows progress: cli-progress bars on a TTY (one per running job plus an overall bar with
 * ETA), plain lines otherwise, or JSON lines with --json. All three read the same BatchEvent stream.
 */
import cliProgress from 'cli-progress';
import type { BatchEvent } from '../comfy/batch-run.js';

/** A progress sink; `stop` flushes it. */
export interface BatchReporter {
  onEvent(e: BatchEvent): void;
  stop(): void;
}

/** JSON lines on stdout: one object per event. */
export function jsonReporter(): BatchReporter {
  return {
    onEvent: (e) => {
      if (e.type === 'progress') return; // too chatty for a log; start/done carry the state
      process.stdout.write(`${JSON.stringify({ event: e.type, ...(e.type === 'done' ? e.line : e) })}\n`);
    },
    stop: () => undefined,
  };
}

/** Plain lines on stderr (not a TTY): one per job start, retry and end. */
export function plainReporter(): BatchReporter {
  let total = 0;
  let done = 0;
  return {
    onEvent: (e) => {
      if (e.type === 'plan') {
        total = e.total - e.skipped;
        process.stderr.write(`batch: ${e.total} job(s), ${e.skipped} already done, on ${e.servers.join(', ')}\n`);
      } else if (e.type === 'start') {
        process.stderr.write(`${e.job}: started on ${e.server}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}\n`);
      } else if (e.type === 'retry') {
        process.stderr.write(`${e.job}: will retry after [${e.error.code}] ${e.error.message}\n`);
      } else if (e.type === 'done') {
        done += 1;
        const l = e.line;
        const what = l.status === 'success' ? `${l.files.length} file(s)` : `[${l.error?.code ?? '?'}] ${l.error?.message ?? ''}`;
        process.stderr.write(`${l.job}: ${l.status} (${done}/${total}) ${what}\n`);
      }
    },
    stop: () => undefined,
  };
}

/** Bars on a TTY: the overall bar (jobs, ETA) and one bar per running job (its prompt's node progress). */
export function barsReporter(): BatchReporter {
  const multi = new cliProgress.MultiBar({
    clearOnComplete: false, hideCursor: true, stream: process.stderr,
    format: ' {label} |{bar}| {percentage}% {value}/{total} {info}',
  }, cliProgress.Presets.shades_classic);
  let overall: cliProgress.SingleBar | undefined;
  const jobs = new Map<string, cliProgress.SingleBar>();
  const endJob = (job: string): void => {
    const bar = jobs.get(job);
    if (bar !== undefined) { multi.remove(bar); jobs.delete(job); }
  };
  return {
    onEvent: (e) => {
      if (e.type === 'plan') {
        overall = multi.create(e.total - e.skipped, 0, { label: 'all jobs  ', info: e.skipped > 0 ? `(${e.skipped} done before)` : '' },
          { format: ' {label} |{bar}| {value}/{total} jobs, ETA {eta_formatted} {info}' });
      } else if (e.type === 'start') {
        endJob(e.job);
        jobs.set(e.job, multi.create(100, 0, { label: e.job.padEnd(10), info: e.server }));
      } else if (e.type === 'progress') {
        jobs.get(e.job)?.update(Math.round(e.fraction * 100), { info: e.node === undefined ? '' : `node ${e.node}` });
      } else if (e.type === 'retry') {
        endJob(e.job);
        multi.log(`${e.job}: will retry after [${e.error.code}] ${e.error.message}\n`);
      } else if (e.type === 'done') {
        endJob(e.line.job);
        overall?.increment(1);
        if (e.line.status !== 'success') multi.log(`${e.line.job}: ${e.line.status} [${e.line.error?.code ?? '?'}] ${e.line.error?.message ?? ''}\n`);
      }
    },
    stop: () => multi.stop(),
  };
}
