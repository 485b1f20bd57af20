/**
 * `dp-hyperlora generate`: a DP LoRA from a folder of private images, with a JSON report beside it. A thin
 * adapter over makeDpLora (src/pack/personalise.ts): options are validated first, the output paths are checked
 * before any budget is spent, and the files are written atomically (temp file + rename) only after success.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { DpHyperLoraError } from '../errors.js';
import { defaultLedgerPath, openLedger } from '../dp/ledger.js';
import { checkOutputPath, writeFileAtomic } from '../pack/atomic-write.js';
import { makeDpLora, type PublicReport } from '../pack/personalise.js';
import type { RegisterCommand } from './commands.js';
import { localDisplay } from './local-display.js';
import { emit } from './output.js';
import { addPrivacyOptions, describeOptionIssues, resolvePrivacyOptions } from './privacy-options.js';

const fileOptionsSchema = z.object({
  images: z.string().min(1, '--images is required'),
  pack: z.string().min(1, '--pack is required'),
  out: z.string().regex(/\.safetensors$/, '--out must end in .safetensors'),
  report: z.string().min(1).optional(),
  force: z.boolean().default(false),
  json: z.boolean().default(false),
  onUnreadable: z.enum(['skip', 'fail'], { message: '--on-unreadable must be skip or fail' }),
});

/** The report path used when --report is not given: FILE.safetensors → FILE.report.json. */
export function defaultReportPath(out: string): string {
  return out.replace(/\.safetensors$/, '.report.json');
}

/** The --json / report-file object of generate: the report's PUBLIC part only (the local part goes to stderr). */
export interface GenerateOutput {
  readonly lora: string;
  readonly report: string;
  readonly result: PublicReport;
}

function human(o: GenerateOutput): string {
  const r = o.result;
  const p = r.privacy;
  const lines = [
    `wrote ${o.lora} (${r.pack.layout} LoRA from pack ${r.pack.id}@${r.pack.version}) and ${o.report}`,
    `privacy: (ε=${p.epsilon.toPrecision(4)}, δ=${p.delta}) under ${p.relation}${p.declaredN !== undefined ? ` (declared n=${p.declaredN})` : ''}; C=${p.clipNorm}, σ_sum=${p.sigmaSum.toPrecision(4)}` +
      `${p.sigmaCount !== undefined ? `, σ_count=${p.sigmaCount.toPrecision(4)}, noisy count ${p.noisyCount?.toFixed(1) ?? '?'}` : ''}`,
    `ledger: release #${r.ledger.releaseNumber} (id ${r.ledger.releaseId}) ${r.ledger.charged ? `charged ε=${r.ledger.epsilonCharged.toPrecision(4)}` : 'already made: reused, nothing charged'}; ` +
      `remaining for the most-spent image: ε=${r.ledger.remaining.epsilon.toPrecision(4)} at δ=${r.ledger.remaining.delta}`,
    `provider: ${r.provider.used}${r.provider.note !== undefined ? ` (${r.provider.note})` : ''}`,
  ];
  return lines.join('\n');
}

/** Registers `generate`. */
export const registerGenerate: RegisterCommand = (program: Command, setStatus) => {
  const cmd = program.command('generate')
    .description('Make a differentially private LoRA from a folder of private images: one noisy release, one hypernetwork pass.')
    .requiredOption('--images <dir>', 'folder of private images (PNG, JPEG, WebP, TIFF, GIF, AVIF)')
    .requiredOption('--pack <dir>', 'model pack folder (manifest.json + ONNX files)')
    .requiredOption('--out <file>', 'output LoRA (.safetensors); written atomically');
  addPrivacyOptions(cmd)
    .option('--report <file>', 'JSON report path (default: FILE.report.json beside --out)')
    .option('--on-unreadable <policy>', 'files that are not readable images: fail (default) or skip', 'fail')
    .option('--force', 'replace existing output files')
    .option('--json', 'print the report as one JSON object on stdout')
    .action(async (raw: Record<string, unknown>) => {
      const privacy = resolvePrivacyOptions(raw);
      const parsed = fileOptionsSchema.safeParse(raw);
      if (!parsed.success) throw new DpHyperLoraError('INVALID_ARGUMENT', `${describeOptionIssues(parsed.error)}.`);
      const f = parsed.data;
      const reportPath = f.report ?? defaultReportPath(f.out);
      // Refuse existing outputs before anything runs, so no budget is spent on a run that cannot be saved.
      await checkOutputPath(f.out, f.force);
      await checkOutputPath(reportPath, f.force);
      const display = localDisplay({ quiet: f.json });
      const ledger = openLedger(privacy.ledgerPath ?? defaultLedgerPath());
      try {
        const result = await makeDpLora({
          images: { kind: 'folder', dir: f.images, onUnreadable: f.onUnreadable }, pack: f.pack,
          epsilon: privacy.epsilon, delta: privacy.delta, relation: privacy.relation, releaseNumber: privacy.releaseNumber,
          ledger, provider: privacy.provider, local: display, onWarning: display.onWarning,
        });
        display.stop();
        display.showLocal(result.report.local);
        const out: GenerateOutput = { lora: f.out, report: reportPath, result: result.report.public };
        await writeFileAtomic(f.out, result.lora, f.force);
        await writeFileAtomic(reportPath, `${JSON.stringify(out, null, 2)}\n`, f.force);
        emit(f.json, out, human);
        setStatus(0);
      } finally {
        display.stop();
        ledger.close();
      }
    });
};
