/**
 * The batch manifest: `manifest.jsonl` in the output folder, one JSON line per finished job attempt
 * (job, inputs, prompt_id, server, files, status). Append-only: each line is written with one write()
 * on an O_APPEND descriptor and fsync'd before the next job is reported, so a crash or Ctrl-C leaves at
 * worst a torn last line, which the reader skips and the next writer cuts off.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { DpHyperLoraError } from '../errors.js';
import { logger } from '../log/logger.js';
import { issuesLine } from './zod-issues.js';

const log = logger('comfy/manifest');

/** One manifest line. */
export const ManifestLine = z.strictObject({
  job: z.string(),
  key: z.string(),
  inputs: z.record(z.string(), z.unknown()),
  prompt_id: z.string().nullable(),
  server: z.string().nullable(),
  files: z.array(z.string()),
  status: z.enum(['success', 'failed', 'interrupted']),
  attempts: z.number().int().nonnegative(),
  error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
  finished_at: z.string(),
});
/** A validated manifest line. */
export type ManifestLine = z.infer<typeof ManifestLine>;

/** File name of the manifest inside the output folder. */
export const MANIFEST_NAME = 'manifest.jsonl';

/** Reads the manifest; returns the last line per job key. A torn final line is skipped with a warning. */
export function readManifest(path: string): Map<string, ManifestLine> {
  const byKey = new Map<string, ManifestLine>();
  if (!existsSync(path)) return byKey;
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const isLast = i === lines.length - 1; // no newline after it: possibly torn by a crash
    let parsed: ManifestLine | undefined;
    try {
      const r = ManifestLine.safeParse(JSON.parse(line));
      if (r.success) parsed = r.data;
      else if (!isLast) throw new DpHyperLoraError('INVALID_INPUT_DATA', `manifest line ${i + 1} is not a batch manifest line: ${issuesLine(r.error)}. Use a fresh --out folder or remove the manifest.`);
    } catch (e) {
      if (e instanceof DpHyperLoraError) throw e;
      if (!isLast) throw new DpHyperLoraError('INVALID_INPUT_DATA', `manifest line ${i + 1} is not JSON. Use a fresh --out folder or remove the manifest.`, { cause: e });
    }
    if (parsed === undefined) log.warn(`skipping a torn last manifest line (${line.length} bytes); that job will run again`);
    else byKey.set(parsed.key, parsed);
  });
  return byKey;
}

/** An append-only, fsync'd manifest writer. */
export class ManifestWriter {
  private readonly fd: number;

  constructor(readonly path: string) {
    if (existsSync(path)) {
      // A torn last line (a crash mid-write) is an incomplete record: cut it off so that appends stay line-aligned.
      const bytes = readFileSync(path);
      if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) truncateSync(path, bytes.lastIndexOf(0x0a) + 1);
    }
    this.fd = openSync(path, 'a');
  }

  /** Appends one line durably (one write, then fsync). */
  append(line: ManifestLine): void {
    ManifestLine.parse(line);
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
    fsyncSync(this.fd);
  }

  /** Closes the file. */
  close(): void {
    closeSync(this.fd);
  }
}
