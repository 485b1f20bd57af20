/**
 * `dp-hyperlora ledger list | show ID | budget [--epsilon E --delta D] | backup DEST`: a thin adapter over
 * src/dp/ledger.ts (backup: ./ledger-backup.ts).
 *
 * What is shown is public by construction: release parameters, ρ and ε charged per image, the stored DP
 * outputs, and budget aggregates (the most-spent image's spend and room). The number of images in a release
 * is never shown: under add/remove the size of a set is private (docs/ledger.md).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { DpHyperLoraError } from '../errors.js';
import {
  DEFAULT_BUDGET, defaultLedgerPath, openLedger, type BudgetReport, type Ledger, type LedgerOptions, type ReleaseDetail, type ReleaseSummary,
} from '../dp/ledger.js';
import { rhoForEpsilon } from '../dp/zcdp.js';
import type { Epsilon, Rho } from '../dp/types.js';
import type { RegisterCommand } from './commands.js';
import { backupLedger, type LedgerBackupOutput } from './ledger-backup.js';
import { emit } from './output.js';

const numberOption = (name: string) => z.string().trim().min(1, `${name} is empty`).transform((s, ctx) => {
  const v = Number(s);
  if (!Number.isFinite(v)) ctx.addIssue({ code: 'custom', message: `${name} must be a number, got "${s}"` });
  return v;
});

const commonSchema = z.object({ ledger: z.string().min(1, '--ledger is empty').optional(), json: z.boolean().default(false) });
const showSchema = commonSchema.extend({ id: z.string().regex(/^[1-9]\d*$/, 'ID must be a release id (a whole number >= 1) from dp-hyperlora ledger list').transform(Number) });
const budgetSchema = commonSchema.extend({
  epsilon: numberOption('--epsilon').pipe(z.number().gt(0, '--epsilon must be > 0 (e.g. 10)')).optional(),
  delta: numberOption('--delta').pipe(z.number().gt(0, '--delta must be > 0 (e.g. 1e-5)').lt(1, '--delta must be < 1 (e.g. 1e-5)')).optional(),
}).superRefine((o, ctx) => {
  if ((o.epsilon === undefined) !== (o.delta === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'give --epsilon and --delta together: a budget is a pair (ε, δ)' });
  }
});

function parse<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new DpHyperLoraError('INVALID_ARGUMENT', `${parsed.error.issues.map((i) => i.message).join('; ')}.`);
  return parsed.data;
}

function show(x: number): string {
  return String(Number(x.toPrecision(4)));
}

function withLedger<T>(path: string, options: LedgerOptions, use: (ledger: Ledger) => T | Promise<T>): Promise<T> {
  const ledger = openLedger(path, options);
  return Promise.resolve().then(() => use(ledger)).finally(() => ledger.close());
}

/** The --json object of `ledger list`. */
export interface LedgerListOutput { readonly ledger: string; readonly exists: boolean; readonly releases: readonly ReleaseSummary[] }

function humanList(o: LedgerListOutput): string {
  if (!o.exists) return `no ledger at ${o.ledger} yet; it is created by the first release.`;
  if (o.releases.length === 0) return `ledger ${o.ledger}: no releases yet.`;
  const d = o.releases[0]?.delta ?? 0;
  const rows = o.releases.map((r) => [String(r.releaseId), r.createdAt, `#${r.releaseNumber}`, show(r.rho), show(r.epsilon), r.set, JSON.stringify(r.params)]);
  const header = ['id', 'time', 'release', 'ρ', `ε at δ=${d}`, 'set', 'parameters'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [`ledger ${o.ledger}`, line(header), ...rows.map(line),
    `${o.releases.length} release(s); ρ and ε are charged to each image of a release's set. Set sizes are not shown: under add/remove they are private.`].join('\n');
}

/** The --json object of `ledger show`. */
export interface LedgerShowOutput { readonly ledger: string; readonly release: ReleaseDetail }

function humanShow(o: LedgerShowOutput): string {
  const r = o.release;
  const valueBytes = Buffer.byteLength(JSON.stringify(r.value));
  return [
    `release ${r.releaseId} in ledger ${o.ledger}`,
    `  time: ${r.createdAt}`,
    `  release number: ${r.releaseNumber}`,
    `  set: ${r.set} (keyed fingerprint: equal for releases on the same images)`,
    `  parameters: ${JSON.stringify(r.params)}`,
    `  charged to each image: ρ=${show(r.rho)} (ε=${show(r.epsilon)} at δ=${r.delta})`,
    `  stored DP output: ${valueBytes} bytes of JSON (print it with --json)`,
  ].join('\n');
}

/** The --json object of `ledger budget`. */
export interface LedgerBudgetOutput extends BudgetReport {
  readonly ledger: string;
  readonly exists: boolean;
  /** The budget before this command changed it; null when it did not (or the ledger was just created). */
  readonly previous: { readonly epsilon: number; readonly delta: number } | null;
}

function humanBudget(o: LedgerBudgetOutput): string {
  const b = o.budget;
  const m = o.mostSpentImage;
  const lines = [o.exists ? `ledger ${o.ledger}` : `no ledger at ${o.ledger} yet; a new ledger starts with this budget:`];
  if (o.previous !== null) lines.push(`per-image budget changed from ε=${o.previous.epsilon} at δ=${o.previous.delta}.`);
  lines.push(`per-image budget: ε=${b.epsilon} at δ=${b.delta} (zCDP ρ=${show(o.budgetRho)})`);
  if (o.exists) {
    lines.push(`most-spent image: spent ε=${show(m.spentEpsilon)} (ρ=${show(m.spentRho)}); room for one more release of at most ε=${show(m.remaining.epsilon)} at δ=${m.remaining.delta}`);
    lines.push(`releases: ${o.releaseCount}`);
  }
  lines.push('Change it with: dp-hyperlora ledger budget --epsilon E --delta D. Raising it weakens the guarantee for every image in the ledger.');
  return lines.join('\n');
}

function budgetWithoutLedger(path: string): LedgerBudgetOutput {
  const budgetRho = rhoForEpsilon(DEFAULT_BUDGET.epsilon, DEFAULT_BUDGET.delta);
  return {
    ledger: path, exists: false, previous: null, budget: DEFAULT_BUDGET, budgetRho, releaseCount: 0,
    mostSpentImage: { spentRho: 0 as Rho, spentEpsilon: 0 as Epsilon, remaining: { epsilon: DEFAULT_BUDGET.epsilon, delta: DEFAULT_BUDGET.delta, rho: budgetRho } },
  };
}

async function budgetCommand(o: z.infer<typeof budgetSchema>, path: string): Promise<LedgerBudgetOutput> {
  if (o.epsilon === undefined || o.delta === undefined) {
    if (!existsSync(path)) return budgetWithoutLedger(resolve(path));
    return withLedger(path, { create: false }, (l) => ({ ledger: l.path, exists: true, previous: null, ...l.budget() }));
  }
  const requested = { epsilon: o.epsilon, delta: o.delta };
  const existed = existsSync(path);
  return withLedger(path, { create: true, initialBudget: requested }, async (l) => {
    const before = l.budget().budget;
    const report = await l.setBudget(requested);
    const changed = existed && (before.epsilon !== requested.epsilon || before.delta !== requested.delta);
    return { ledger: l.path, exists: true, previous: changed ? { epsilon: before.epsilon, delta: before.delta } : null, ...report };
  });
}

const backupSchema = commonSchema.extend({ force: z.boolean().default(false), destination: z.string().min(1, 'DEST is empty') });

function humanBackup(o: LedgerBackupOutput): string {
  return [
    `backed up ledger ${o.ledger} (${o.releases} release(s)) to ${o.database} with its key ${o.key}.`,
    'Keep the two files together; restore by copying both back (with no dp-hyperlora running).',
  ].join('\n');
}

/** Registers `ledger` with its subcommands list, show, budget and backup. */
export const registerLedger: RegisterCommand = (program: Command) => {
  const ledger = program.command('ledger')
    .description('Inspect the privacy ledger: releases, their parameters and cost, and per-image budgets (never image counts).');
  const ledgerOption = '--ledger <path>';
  const ledgerHelp = 'ledger database (default $DP_HYPERLORA_LEDGER, else $XDG_DATA_HOME/dp-hyperlora/ledger.sqlite, else ~/.local/share/dp-hyperlora/ledger.sqlite)';
  ledger.command('list')
    .description('List releases: id, time, release number, parameters, and ρ and ε charged to each image of its set.')
    .option(ledgerOption, ledgerHelp).option('--json', 'print one JSON object')
    .action(async (raw: Record<string, unknown>) => {
      const o = parse(commonSchema, raw);
      const path = o.ledger ?? defaultLedgerPath();
      const out: LedgerListOutput = existsSync(path)
        ? await withLedger(path, { create: false }, (l) => ({ ledger: l.path, exists: true, releases: l.list() }))
        : { ledger: resolve(path), exists: false, releases: [] };
      emit(o.json, out, humanList);
    });
  ledger.command('show')
    .description('Show one release with its stored DP output (which is public: it already left the ledger).')
    .argument('<id>', 'release id, from dp-hyperlora ledger list')
    .option(ledgerOption, ledgerHelp).option('--json', 'print one JSON object (with the stored output)')
    .action(async (id: string, raw: Record<string, unknown>) => {
      const o = parse(showSchema, { ...raw, id });
      const path = o.ledger ?? defaultLedgerPath();
      const out = await withLedger(path, { create: false }, (l): LedgerShowOutput => ({ ledger: l.path, release: l.show(o.id) }));
      emit(o.json, out, humanShow);
    });
  ledger.command('backup')
    .description('Copy the ledger and its key while it may be in use (SQLite online backup: includes charges still in the WAL).')
    .argument('<dest>', 'backup database path; the key is written beside it as DEST.key')
    .option(ledgerOption, ledgerHelp).option('--force', 'replace an existing backup at DEST').option('--json', 'print one JSON object')
    .action(async (destination: string, raw: Record<string, unknown>) => {
      const o = parse(backupSchema, { ...raw, destination });
      emit(o.json, await backupLedger(o.ledger ?? defaultLedgerPath(), o.destination, o.force), humanBackup);
    });
  ledger.command('budget')
    .description('Show the per-image budget and the most-spent image, or set the budget with --epsilon and --delta.')
    .option('--epsilon <e>', 'new per-image budget ε (> 0)').option('--delta <d>', 'δ of the new per-image budget (0 < δ < 1, e.g. 1e-5)')
    .option(ledgerOption, ledgerHelp).option('--json', 'print one JSON object')
    .action(async (raw: Record<string, unknown>) => {
      const o = parse(budgetSchema, raw);
      emit(o.json, await budgetCommand(o, o.ledger ?? defaultLedgerPath()), humanBudget);
    });
};
