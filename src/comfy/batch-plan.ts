/**
 * Expands one workflow into a batch of jobs: fixed `--set` values, then the cartesian product of every
 * `--vary FIELD=a..b` range and every `--prompts` line. A job's key is a hash of its final prompt, so a
 * rerun recognises finished jobs (resume) even if the job list was reordered.
 */
import { createHash } from 'node:crypto';
import { DpHyperLoraError } from '../errors.js';
import { applyInputs, parseInputPath, parseLiteral, type ApiPrompt } from './workflow-api.js';

/** One `--vary` range: the input and its values. */
export interface VarySpec {
  path: string;
  values: number[];
}

/** One job of a batch. */
export interface BatchJob {
  /** 1-based position in the plan. */
  index: number;
  /** `job-0001`-style name, used in file names. */
  name: string;
  /** sha256 (first 16 hex digits) of the canonical final prompt: the job's identity across runs. */
  key: string;
  /** The inputs this job sets (from --vary and --prompts), `NODE.inputs.FIELD` → value. */
  inputs: Record<string, unknown>;
  prompt: ApiPrompt;
}

/** Largest number of jobs one batch may plan; a typo such as 1..10000000 should fail fast, not fill the disk. */
export const MAX_JOBS = 100_000;

/** Parses `NODE.inputs.FIELD=a..b` (inclusive integer range, either direction). */
export function parseVary(spec: string): VarySpec {
  const m = /^([^=]+)=(-?\d+)\.\.(-?\d+)$/.exec(spec.trim());
  if (!m || m[1] === undefined || m[2] === undefined || m[3] === undefined) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `--vary ${JSON.stringify(spec)} is not FIELD=a..b; write for example --vary 3.inputs.seed=1..100 (integers, both ends included).`);
  }
  parseInputPath(m[1]);
  const a = Number(m[2]);
  const b = Number(m[3]);
  const n = Math.abs(b - a) + 1;
  if (n > MAX_JOBS) throw new DpHyperLoraError('INVALID_ARGUMENT', `--vary ${spec} asks for ${n} values; the limit is ${MAX_JOBS}.`);
  const step = b >= a ? 1 : -1;
  return { path: m[1], values: Array.from({ length: n }, (_, i) => a + i * step) };
}

/** Parses `NODE.inputs.FIELD=VALUE` (`--set`); the value is JSON when it parses, else a string. */
export function parseSet(spec: string): [string, unknown] {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new DpHyperLoraError('INVALID_ARGUMENT', `--set ${JSON.stringify(spec)} is not NODE.inputs.FIELD=VALUE; write for example --set 6.inputs.text="a red fox".`);
  const path = spec.slice(0, eq);
  parseInputPath(path);
  return [path, parseLiteral(spec.slice(eq + 1))];
}

/** The only string input named `text` in the prompt, as the default target of plain-text --prompts lines. */
function defaultTextField(prompt: ApiPrompt): string {
  const candidates = Object.entries(prompt).filter(([, n]) => typeof n.inputs.text === 'string').map(([id]) => `${id}.inputs.text`);
  if (candidates.length !== 1) {
    throw new DpHyperLoraError('INVALID_ARGUMENT',
      `--prompts has plain-text lines, but the workflow has ${candidates.length} text inputs (${candidates.join(', ') || 'none'}), so it is unclear which one a line fills. ` +
      'Write the file as JSON lines instead, e.g. {"6.inputs.text": "a red fox", "3.inputs.seed": 7}.');
  }
  return candidates[0] as string;
}

/** Parses a --prompts file: JSON-object lines (input → value) or plain text lines (the workflow's one text input). */
export function parsePromptsFile(text: string, prompt: ApiPrompt): Record<string, unknown>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  let textField: string | undefined;
  return lines.map((line, i) => {
    if (line.trim().startsWith('{')) {
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch (e) {
        throw new DpHyperLoraError('INVALID_ARGUMENT', `--prompts line ${i + 1} starts with "{" but is not JSON (${e instanceof Error ? e.message : String(e)}).`);
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new DpHyperLoraError('INVALID_ARGUMENT', `--prompts line ${i + 1} must be a JSON object of NODE.inputs.FIELD → value.`);
      for (const k of Object.keys(obj)) parseInputPath(k);
      return obj as Record<string, unknown>;
    }
    textField ??= defaultTextField(prompt);
    return { [textField]: line };
  });
}

/** JSON with object keys sorted at every level: equal values give equal strings. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The job key of a prompt (titles in _meta do not count: ComfyUI ignores them). */
export function jobKey(prompt: ApiPrompt): string {
  const stripped = Object.fromEntries(Object.entries(prompt).map(([id, n]) => [id, { class_type: n.class_type, inputs: n.inputs }]));
  return createHash('sha256').update(canonical(stripped)).digest('hex').slice(0, 16);
}

/** Plans the jobs: base prompt with `set`, times every vary range, times every prompts line. */
export function planJobs(base: ApiPrompt, set: Readonly<Record<string, unknown>>, vary: readonly VarySpec[], promptLines: readonly Record<string, unknown>[] | undefined): BatchJob[] {
  const fixed = applyInputs(base, set);
  let combos: Record<string, unknown>[] = [{}];
  for (const lines of promptLines === undefined ? [] : [promptLines]) combos = combos.flatMap((c) => lines.map((l) => ({ ...c, ...l })));
  for (const v of vary) combos = combos.flatMap((c) => v.values.map((x) => ({ ...c, [v.path]: x })));
  if (combos.length > MAX_JOBS) throw new DpHyperLoraError('INVALID_ARGUMENT', `the batch would have ${combos.length} jobs; the limit is ${MAX_JOBS}. Narrow --vary or split --prompts.`);
  const width = Math.max(4, String(combos.length).length);
  return combos.map((inputs, i) => {
    const prompt = applyInputs(fixed, inputs);
    return { index: i + 1, name: `job-${String(i + 1).padStart(width, '0')}`, key: jobKey(prompt), inputs, prompt };
  });
}
