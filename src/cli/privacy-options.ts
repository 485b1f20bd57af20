/**
 * Options shared by the commands that make a DP LoRA (`generate`, `eval`, `demo`): loose commander strings are
 * resolved into one strict, zod-validated type (Vite style), with every problem reported at once.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { DpHyperLoraError } from '../errors.js';
import { ADD_REMOVE, delta as makeDelta, epsilon as makeEpsilon, replaceOne, type Delta, type Epsilon, type NeighbouringRelation } from '../dp/types.js';
import type { ProviderChoice } from '../pack/sessions.js';

const numberFromString = (what: string) => z.string().trim().min(1, `${what} is empty`)
  .transform((s, ctx) => {
    const v = Number(s);
    if (!Number.isFinite(v)) ctx.addIssue({ code: 'custom', message: `${what} must be a number, got "${s}"` });
    return v;
  });

const intFromString = (what: string) => z.string().trim()
  .regex(/^\d+$/, `${what} must be a whole number`).transform(Number);

/** The privacy options as typed by the user (commander's raw strings). */
export const rawPrivacyOptionsSchema = z.object({
  epsilon: numberFromString('--epsilon').pipe(z.number().gt(0, '--epsilon must be > 0 (e.g. 1)').max(100, '--epsilon above 100 gives no meaningful privacy')),
  delta: numberFromString('--delta').pipe(z.number().gt(0, '--delta must be > 0 (e.g. 1e-5)').lt(1, '--delta must be < 1 (e.g. 1e-5)')),
  relation: z.enum(['add-remove', 'replace-one'], { message: '--relation must be add-remove or replace-one' }),
  n: intFromString('--n').pipe(z.number().int().min(1, '--n must be at least 1')).optional(),
  release: intFromString('--release').pipe(z.number().int().min(1, '--release must be at least 1').max(1_000_000_000)),
  ledger: z.string().min(1).optional(),
  provider: z.enum(['auto', 'cpu', 'cuda', 'webgpu'] as const satisfies readonly ProviderChoice[], { message: '--provider must be auto, cpu, cuda or webgpu' }),
}).superRefine((o, ctx) => {
  if (o.relation === 'replace-one' && o.n === undefined) {
    ctx.addIssue({ code: 'custom', path: ['n'], message: '--relation replace-one needs --n N, the dataset size you declare public' });
  }
  if (o.relation === 'add-remove' && o.n !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['n'], message: '--n is only for --relation replace-one (under add-remove n stays private and is released as a noisy count)' });
  }
});

/** Resolved privacy options. */
export interface PrivacyOptions {
  /** Branded here, at the CLI edge. */
  readonly epsilon: Epsilon;
  readonly delta: Delta;
  readonly relation: NeighbouringRelation;
  readonly releaseNumber: number;
  readonly ledgerPath?: string;
  readonly provider: ProviderChoice;
}

/** Adds the shared privacy options to a command. */
export function addPrivacyOptions(cmd: Command, defaults: { epsilon?: string; delta?: string } = {}): Command {
  const eps = '--epsilon <e>';
  const del = '--delta <d>';
  if (defaults.epsilon === undefined) cmd.requiredOption(eps, 'privacy loss ε of this release (> 0; smaller is more private)');
  else cmd.option(eps, 'privacy loss ε of this release (> 0; smaller is more private)', defaults.epsilon);
  if (defaults.delta === undefined) cmd.requiredOption(del, 'δ of the (ε, δ) guarantee (e.g. 1e-5, well below 1/n)');
  else cmd.option(del, 'δ of the (ε, δ) guarantee (well below 1/n)', defaults.delta);
  return cmd
    .option('--relation <relation>', 'neighbouring relation: add-remove (n stays private) or replace-one (n declared public with --n)', 'add-remove')
    .option('--n <n>', 'replace-one only: the dataset size you declare public')
    .option('--release <number>', 'release number; the same number on the same images and parameters reuses the stored release at no cost, a new number spends budget again', '1')
    .option('--ledger <path>', 'privacy ledger database (default $DP_HYPERLORA_LEDGER or ~/.local/share/dp-hyperlora/ledger.sqlite)')
    .option('--provider <provider>', 'ONNX execution provider: auto (CUDA, then WebGPU, then CPU), cpu, cuda or webgpu', 'auto');
}

/** Formats zod issues as one message naming each option. */
export function describeOptionIssues(error: z.ZodError): string {
  return error.issues.map((i) => i.message).join('; ');
}

/** Validates the raw privacy options; throws INVALID_ARGUMENT listing every problem. */
export function resolvePrivacyOptions(raw: Record<string, unknown>): PrivacyOptions {
  const parsed = rawPrivacyOptionsSchema.safeParse(raw);
  if (!parsed.success) throw new DpHyperLoraError('INVALID_ARGUMENT', `${describeOptionIssues(parsed.error)}.`);
  const o = parsed.data;
  return {
    epsilon: makeEpsilon(o.epsilon), delta: makeDelta(o.delta),
    relation: o.relation === 'add-remove' ? ADD_REMOVE : replaceOne(o.n as number),
    releaseNumber: o.release, provider: o.provider, ...(o.ledger !== undefined ? { ledgerPath: o.ledger } : {}),
  };
}
