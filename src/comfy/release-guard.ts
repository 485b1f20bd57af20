/**
 * Keeps a batch from spending privacy budget by accident. A Noisy Aggregate node makes one DP release per
 * distinct (image set, parameters, release number); re-queuing the same release is free, but a batch whose jobs
 * change anything upstream of that node (its `release`, ε, δ, the folder or pack of DP Embed, …) makes one new
 * release per distinct upstream state, and every one of them is charged to the ledger. Varying what comes after
 * the release (seeds, prompts, sampler settings) costs nothing, which is what batches are for.
 */
import { DpHyperLoraError } from '../errors.js';
import { canonical, type BatchJob } from './batch-plan.js';
import { isLink, parseInputPath, type ApiPrompt } from './workflow-api.js';

/** The class type of the node that makes the DP release (nodes/noisy-aggregate.ts; a test checks the manifest). */
export const RELEASE_NODE = 'DPHyperLoRA_NoisyAggregate';

/** The node ids the given node reads from, directly or through other nodes, itself included. */
function upstream(prompt: ApiPrompt, id: string): Set<string> {
  const seen = new Set<string>();
  const stack = [id];
  while (stack.length > 0) {
    const cur = stack.pop() as string;
    if (seen.has(cur)) continue;
    seen.add(cur);
    for (const v of Object.values(prompt[cur]?.inputs ?? {})) if (isLink(v)) stack.push(v[0]);
  }
  return seen;
}

/** One release node whose jobs disagree upstream: how many releases, and the job inputs that cause it. */
export interface ReleaseSpread {
  nodeId: string;
  releases: number;
  paths: string[];
}

/** For every Noisy Aggregate node, the number of distinct upstream states across the jobs (only those with > 1). */
export function releaseSpread(jobs: readonly BatchJob[]): ReleaseSpread[] {
  const first = jobs[0];
  if (first === undefined) return [];
  const out: ReleaseSpread[] = [];
  for (const [id, node] of Object.entries(first.prompt)) {
    if (node.class_type !== RELEASE_NODE) continue;
    const ids = upstream(first.prompt, id);
    const states = new Set(jobs.map((j) => canonical([...ids].sort().map((n) => [n, j.prompt[n]?.class_type, j.prompt[n]?.inputs]))));
    if (states.size < 2) continue;
    const paths = [...new Set(jobs.flatMap((j) => Object.keys(j.inputs)))].filter((p) => ids.has(parseInputPath(p).nodeId)).sort();
    out.push({ nodeId: id, releases: states.size, paths });
  }
  return out;
}

/** Throws INVALID_ARGUMENT when the jobs would make more than one DP release at any Noisy Aggregate node. */
export function assertNoNewReleases(jobs: readonly BatchJob[]): void {
  const spread = releaseSpread(jobs);
  if (spread.length === 0) return;
  const what = spread.map((s) => `${s.releases} different DP releases at Noisy Aggregate (node ${s.nodeId}), because the jobs change ${s.paths.join(', ') || 'its inputs'}`);
  throw new DpHyperLoraError('INVALID_ARGUMENT',
    `the batch would make ${what.join('; and ')}. Each new release is charged to the privacy ledger. Keep the inputs up to and including Noisy Aggregate fixed and vary only what comes after it (seeds, prompts, sampler settings), or pass --allow-new-releases to spend that budget on purpose.`,
    { details: { spread } });
}
