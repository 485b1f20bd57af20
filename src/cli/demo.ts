/**
 * `dp-hyperlora demo`: the main job on the bundled defaults, with nothing else needed. The bundled example
 * private set → a DP LoRA for the bundled reference pack (its own tiny Fashion-MNIST diffusion model) → samples
 * of the base model beside samples with the LoRA, and the FID of each against the example set's reference images.
 *
 * The demo charges its own ledger inside the output folder by default, never the user's real ledger, so running it
 * spends nothing that matters; a rerun with the same --release reuses the stored release for free.
 */
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { DpHyperLoraError } from '../errors.js';
import { openLedger } from '../dp/ledger.js';
import { checkOutputPath, writeFileAtomic } from '../pack/atomic-write.js';
import { bundledExampleSetDir, bundledReferencePackDir } from '../pack/bundled.js';
import { evaluateLora, requireSampler, type LoraEvaluation } from '../pack/evaluate.js';
import { loadPack } from '../pack/manifest.js';
import { makeDpLora, type PublicReport } from '../pack/personalise.js';
import { sampleGridPng } from '../pack/sample-grid.js';
import { SessionFactory } from '../pack/sessions.js';
import { formatClassMix, roundHistogram, type ClassMix } from './class-table.js';
import type { RegisterCommand } from './commands.js';
import { LOCAL_PREFIX, localDisplay } from './local-display.js';
import { emit } from './output.js';
import { guidanceOption, GUIDANCE_HELP } from './guidance-option.js';
import { addPrivacyOptions, describeOptionIssues, resolvePrivacyOptions } from './privacy-options.js';

const demoOptionsSchema = z.object({
  out: z.string().min(1),
  samples: z.string().regex(/^\d+$/, '--samples must be a whole number').transform(Number).pipe(z.number().int().min(2, '--samples must be at least 2 (FID needs two)').max(4096)),
  steps: z.string().regex(/^\d+$/, '--steps must be a whole number').transform(Number).pipe(z.number().int().min(1).max(1000)).optional(),
  strength: z.string().regex(/^\d+(\.\d+)?$/, '--strength must be a number such as 1 or 1.5').transform(Number)
    .pipe(z.number().gt(0, '--strength must be above 0').max(4, '--strength above 4 only makes noise')).default(1),
  guidance: guidanceOption.optional(),
  images: z.string().min(1).optional(),
  reference: z.string().min(1).optional(),
  force: z.boolean().default(false),
  json: z.boolean().default(false),
});

/** The example set's private images and reference images: `images/` and `reference/` when present, else the folder. */
export function exampleFolders(root: string): { images: string; reference: string } {
  const images = existsSync(join(root, 'images')) ? join(root, 'images') : root;
  const reference = existsSync(join(root, 'reference')) ? join(root, 'reference') : images;
  return { images, reference };
}

/**
 * What demo prints with --json and writes as report.json: public values only. The personalisation's local part
 * (exact n, counts, timings) and the number of reference images are shown on stderr, marked local only.
 */
export interface DemoReport {
  readonly notice: string;
  readonly outputs: { readonly lora: string; readonly samples: string; readonly report: string };
  readonly personalisation: PublicReport;
  readonly evaluation: {
    readonly samplesPerSide: number;
    readonly steps: number;
    /** LoRA strength the LoRA side was sampled at (ComfyUI's strength_model; 1 = as generated). */
    readonly strength: number;
    /** LoRA guidance weight of the LoRA side (ε_base + w·(ε_lora − ε_base); 1 = the LoRA alone; post-processing). */
    readonly guidance: number;
    /** Sampling time of the public model (does not depend on the private set). */
    readonly samplingMs: number;
    /** FID (and class KL) against the reference images; absent, with `note`, when the pack has no features.onnx. */
    readonly fid?: {
      readonly base: number;
      readonly lora: number;
      /** lora / base: below 1 means the DP LoRA moved samples towards the private mixture. */
      readonly ratio: number;
      readonly classKlBase?: number;
      readonly classKlLora?: number;
    };
    /** Class histograms of the sample set, base and LoRA samples, with each KL to the set (packs with a classifier). */
    readonly classes?: ClassMix;
    readonly note?: string;
  };
}

function human(r: DemoReport): string {
  const e = r.evaluation.fid;
  const p = r.personalisation;
  return [
    `wrote ${r.outputs.lora}, ${r.outputs.samples} (left: base model, right: with the DP LoRA) and ${r.outputs.report}`,
    `DP LoRA at (ε=${p.privacy.epsilon.toPrecision(4)}, δ=${p.privacy.delta}) under ${p.privacy.relation}; demo ledger ` +
      `(${p.ledger.charged ? 'charged' : 'repeat of a stored release: nothing charged'})`,
    `LoRA side sampled at strength ${r.evaluation.strength}, LoRA guidance ${r.evaluation.guidance}` +
      `${r.evaluation.guidance === 1 ? ' (the LoRA alone)' : ' (ε_base + w·(ε_lora − ε_base); free: post-processing)'}`,
    e === undefined ? (r.evaluation.note ?? '') : `FID against the reference images: base ${e.base.toFixed(2)}, with DP LoRA ${e.lora.toFixed(2)} (ratio ${e.ratio.toFixed(3)})` +
      (e.classKlBase !== undefined && e.classKlLora !== undefined ? `; class KL base ${e.classKlBase.toFixed(3)}, with LoRA ${e.classKlLora.toFixed(3)}` : ''),
    ...(r.evaluation.classes !== undefined ? [formatClassMix(r.evaluation.classes)] : []),
    `on ${p.provider.used}`,
  ].join('\n');
}

/** The class-mix table's data, when the pack's classifier gave all three histograms and both KLs. */
function classMix(names: readonly string[] | undefined, s: LoraEvaluation['scores']): ClassMix | undefined {
  const set = s?.referenceClassHistogram;
  const base = s?.base.classHistogram;
  const lora = s?.lora.classHistogram;
  if (s === undefined || set === undefined || base === undefined || lora === undefined || s.base.classKl === undefined || s.lora.classKl === undefined) return undefined;
  return {
    names: names !== undefined && names.length === set.length ? [...names] : set.map((_, i) => `class ${i}`),
    set: roundHistogram(set), base: roundHistogram(base), lora: roundHistogram(lora), klBase: s.base.classKl, klLora: s.lora.classKl,
  };
}

/** Registers `demo`. */
export const registerDemo: RegisterCommand = (program: Command, setStatus) => {
  const cmd = program.command('demo')
    .description('Run the main job on the bundled example set and reference pack: DP LoRA, sample grid and FID report.')
    .option('--out <dir>', 'output folder (created)', 'dp-hyperlora-demo')
    .option('--samples <n>', 'samples per side (base and LoRA) for the grid and FID', '64')
    .option('--steps <n>', 'DDIM steps (default: the pack\'s defaultSteps)')
    .option('--strength <s>', 'LoRA strength for the LoRA side of the samples (ComfyUI\'s strength_model; free: post-processing)', '1')
    .option('--guidance <w>', GUIDANCE_HELP)
    .option('--images <dir>', 'private images (default: the bundled example set)')
    .option('--reference <dir>', 'reference images for FID (default: the example set\'s reference images)');
  addPrivacyOptions(cmd, { epsilon: '1', delta: '1e-5' })
    .option('--force', 'replace existing outputs in --out')
    .option('--json', 'print the report as one JSON object on stdout')
    .action(async (raw: Record<string, unknown>) => {
      const privacy = resolvePrivacyOptions(raw);
      const parsed = demoOptionsSchema.safeParse(raw);
      if (!parsed.success) throw new DpHyperLoraError('INVALID_ARGUMENT', `${describeOptionIssues(parsed.error)}.`);
      const o = parsed.data;
      const outDir = resolve(o.out);
      await mkdir(outDir, { recursive: true });
      const paths = { lora: join(outDir, 'lora.safetensors'), samples: join(outDir, 'samples.png'), report: join(outDir, 'report.json') };
      for (const p of Object.values(paths)) await checkOutputPath(p, o.force);
      const example = exampleFolders(bundledExampleSetDir());
      const images = o.images ?? example.images;
      const reference = o.reference ?? example.reference;
      const ledgerPath = privacy.ledgerPath ?? join(outDir, 'ledger.sqlite');
      const display = localDisplay({ quiet: o.json });
      if (privacy.ledgerPath === undefined) process.stderr.write(`dp-hyperlora: the demo uses its own ledger, ${ledgerPath}, not your real one.\n`);
      const pack = await loadPack(bundledReferencePackDir());
      requireSampler(pack, false);
      const ledger = openLedger(ledgerPath);
      try {
        const made = await makeDpLora({
          images: { kind: 'folder', dir: images }, pack, epsilon: privacy.epsilon, delta: privacy.delta, relation: privacy.relation,
          releaseNumber: privacy.releaseNumber, ledger, provider: privacy.provider, local: display, onWarning: display.onWarning,
        });
        display.stop();
        display.showLocal(made.report.local);
        const ev = await evaluateLora({
          pack, sessions: new SessionFactory(privacy.provider), factors: made.factors, referenceDir: reference, samples: o.samples,
          ...(o.steps !== undefined ? { steps: o.steps } : {}), seed: 0, strength: o.strength,
          ...(o.guidance !== undefined ? { guidance: o.guidance } : {}),
        });
        const classes = classMix(pack.manifest.features?.classes, ev.scores);
        const grid = await sampleGridPng(ev.baseSamples, ev.loraSamples, { columns: Math.ceil(Math.sqrt(o.samples)) });
        const report: DemoReport = {
          notice: 'The demo personalises on the bundled example images (public Fashion-MNIST test images from one class mixture, standing in for a private set) and charges a ledger of its own. FID reads the reference images directly, which is fine here because they are public.',
          outputs: paths,
          personalisation: made.report.public,
          evaluation: {
            samplesPerSide: ev.samples, steps: ev.steps, strength: ev.strength, guidance: ev.guidance, samplingMs: ev.samplingMs,
            ...(ev.scores !== undefined ? {
              fid: {
                base: ev.scores.base.fid, lora: ev.scores.lora.fid, ratio: ev.scores.lora.fid / ev.scores.base.fid,
                ...(ev.scores.base.classKl !== undefined ? { classKlBase: ev.scores.base.classKl } : {}),
                ...(ev.scores.lora.classKl !== undefined ? { classKlLora: ev.scores.lora.classKl } : {}),
              },
            } : { note: `FID not computed: pack ${pack.manifest.id}@${pack.manifest.version} has no features.onnx.` }),
            ...(classes !== undefined ? { classes } : {}),
          },
        };
        if (ev.scores !== undefined) process.stderr.write(`${LOCAL_PREFIX}FID used ${ev.scores.referenceCount} reference image(s)\n`);
        await writeFileAtomic(paths.lora, made.lora, o.force);
        await writeFileAtomic(paths.samples, grid, o.force);
        await writeFileAtomic(paths.report, `${JSON.stringify(report, null, 2)}\n`, o.force);
        emit(o.json, report, human);
        setStatus(0);
      } finally {
        display.stop();
        ledger.close();
      }
    });
};
