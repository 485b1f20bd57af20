/**
 * `dp-hyperlora eval`: a research diagnostic for packs with their own sampler (the reference pack). It makes the
 * DP LoRA from --images, samples the base model and the base model with the LoRA, and prints the FID of each
 * against --reference, plus the class-histogram KL when the pack has a classifier.
 *
 * Its output is NOT PRIVATE: the metric reads the reference images (often the private images themselves) without
 * any noise. By default the DP release is charged to a throwaway ledger in a temporary folder, deleted afterwards,
 * so an evaluation never spends a real set's budget; --charge-ledger charges the real ledger instead.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { DpHyperLoraError } from '../errors.js';
import { defaultLedgerPath, openLedger } from '../dp/ledger.js';
import { bundledReferencePackDir } from '../pack/bundled.js';
import { evaluateLora, requireSampler, type SetScores } from '../pack/evaluate.js';
import { loadPack } from '../pack/manifest.js';
import { makeDpLora, type PublicReport } from '../pack/personalise.js';
import { SessionFactory } from '../pack/sessions.js';
import type { RegisterCommand } from './commands.js';
import { localDisplay } from './local-display.js';
import { emit } from './output.js';
import { guidanceOption, GUIDANCE_HELP } from './guidance-option.js';
import { addPrivacyOptions, describeOptionIssues, resolvePrivacyOptions } from './privacy-options.js';

/** The label every eval output carries. */
export const NOT_PRIVATE_NOTICE = 'NOT PRIVATE: this evaluation reads the reference images directly (no noise); do not share its numbers if those images are private. The LoRA itself is DP.';

const evalOptionsSchema = z.object({
  images: z.string().min(1),
  reference: z.string().min(1),
  pack: z.string().min(1).optional(),
  samples: z.string().regex(/^\d+$/, '--samples must be a whole number').transform(Number).pipe(z.number().int().min(2, '--samples must be at least 2 (FID needs two)').max(100_000)),
  steps: z.string().regex(/^\d+$/, '--steps must be a whole number').transform(Number).pipe(z.number().int().min(1).max(1000)).optional(),
  seed: z.string().regex(/^\d+$/, '--seed must be a whole number').transform(Number).default(0),
  guidance: guidanceOption.optional(),
  chargeLedger: z.boolean().default(false),
  onUnreadable: z.enum(['skip', 'fail'], { message: '--on-unreadable must be skip or fail' }),
  json: z.boolean().default(false),
});

/** What eval prints. */
export interface EvalOutput {
  readonly notice: string;
  readonly ledgerCharged: 'real ledger' | 'throwaway ledger (nothing spent)';
  /** The personalisation report's public part (its local part is shown on stderr). */
  readonly personalisation: PublicReport;
  readonly referenceImages: number;
  readonly samples: number;
  readonly steps: number;
  readonly seed: number;
  /** LoRA strength of the LoRA samples (eval always uses 1: the LoRA as generated). */
  readonly strength: number;
  /** LoRA guidance weight of the LoRA samples (1 = the LoRA alone; src/diffusion/lora-guidance.ts). */
  readonly guidance: number;
  readonly base: SetScores;
  readonly lora: SetScores;
  readonly referenceClassHistogram?: number[];
}

function human(r: EvalOutput): string {
  const kl = (s: SetScores): string => (s.classKl !== undefined ? `, class KL ${s.classKl.toFixed(4)}` : '');
  return [
    r.notice,
    `DP LoRA at (ε=${r.personalisation.privacy.epsilon.toPrecision(4)}, δ=${r.personalisation.privacy.delta}); ${r.ledgerCharged}`,
    `against ${r.referenceImages} reference images, ${r.samples} samples each, ${r.steps} DDIM steps:`,
    `  base model:      FID ${r.base.fid.toFixed(3)}${kl(r.base)}`,
    `  with DP LoRA:    FID ${r.lora.fid.toFixed(3)}${kl(r.lora)} (strength ${r.strength}, LoRA guidance ${r.guidance})`,
  ].join('\n');
}

/** Registers `eval`. */
export const registerEval: RegisterCommand = (program: Command, setStatus) => {
  const cmd = program.command('eval')
    .description('Research diagnostic (NOT PRIVATE output): FID and class KL of the base model and of the DP LoRA against reference images.')
    .requiredOption('--images <dir>', 'images to make the DP LoRA from')
    .requiredOption('--reference <dir>', 'reference images for FID (read directly: the output is not private)')
    .option('--pack <dir>', 'pack with a sampler (default: the bundled reference pack)')
    .option('--samples <n>', 'samples per model', '256')
    .option('--steps <n>', 'DDIM steps (default: the pack\'s defaultSteps)')
    .option('--seed <n>', 'seed of the sampler\'s starting noise (not privacy noise)', '0')
    .option('--guidance <w>', GUIDANCE_HELP);
  addPrivacyOptions(cmd, { epsilon: '1', delta: '1e-5' })
    .option('--charge-ledger', 'charge the real ledger (--ledger or the default) instead of a throwaway one')
    .option('--on-unreadable <policy>', 'files that are not readable images: fail (default) or skip', 'fail')
    .option('--json', 'print one JSON object on stdout')
    .action(async (raw: Record<string, unknown>) => {
      const privacy = resolvePrivacyOptions(raw);
      const parsed = evalOptionsSchema.safeParse(raw);
      if (!parsed.success) throw new DpHyperLoraError('INVALID_ARGUMENT', `${describeOptionIssues(parsed.error)}.`);
      const o = parsed.data;
      if (privacy.ledgerPath !== undefined && !o.chargeLedger) {
        throw new DpHyperLoraError('INVALID_ARGUMENT', '--ledger has no effect without --charge-ledger (eval uses a throwaway ledger by default); add --charge-ledger to charge that ledger.');
      }
      const pack = await loadPack(o.pack ?? bundledReferencePackDir());
      requireSampler(pack, true);
      const scratch = o.chargeLedger ? undefined : await mkdtemp(join(tmpdir(), 'dp-hyperlora-eval-'));
      const ledger = openLedger(scratch !== undefined ? join(scratch, 'ledger.sqlite') : (privacy.ledgerPath ?? defaultLedgerPath()));
      const display = localDisplay({ quiet: o.json });
      try {
        const made = await makeDpLora({
          images: { kind: 'folder', dir: o.images, onUnreadable: o.onUnreadable }, pack, epsilon: privacy.epsilon, delta: privacy.delta,
          relation: privacy.relation, releaseNumber: privacy.releaseNumber, ledger, provider: privacy.provider,
          local: display, onWarning: display.onWarning,
        });
        display.stop();
        display.showLocal(made.report.local);
        const ev = await evaluateLora({
          pack, sessions: new SessionFactory(privacy.provider), factors: made.factors, referenceDir: o.reference, samples: o.samples,
          ...(o.steps !== undefined ? { steps: o.steps } : {}), seed: o.seed, ...(o.guidance !== undefined ? { guidance: o.guidance } : {}),
        });
        const scores = ev.scores as NonNullable<typeof ev.scores>;
        const out: EvalOutput = {
          notice: NOT_PRIVATE_NOTICE, ledgerCharged: o.chargeLedger ? 'real ledger' : 'throwaway ledger (nothing spent)',
          personalisation: made.report.public, referenceImages: scores.referenceCount, samples: ev.samples, steps: ev.steps, seed: ev.seed,
          strength: ev.strength, guidance: ev.guidance,
          base: scores.base, lora: scores.lora, ...(scores.referenceClassHistogram !== undefined ? { referenceClassHistogram: scores.referenceClassHistogram } : {}),
        };
        emit(o.json, out, human);
        setStatus(0);
      } finally {
        display.stop();
        ledger.close();
        if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
      }
    });
};
