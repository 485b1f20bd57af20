/**
 * `dp-hyperlora account --sigma S1[,S2,...] --delta D [--sensitivity S] [--releases K] [--mechanism M] [--json]`:
 * the total ε of releases with the listed σ values, each made K times. Exact for Gaussians (μ_total =
 * √Σ K(Δ/σᵢ)²) by default; `--mechanism discrete-gaussian` shows the zCDP figures real releases are charged.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { account, delta, l2Sensitivity, sigma, type AccountResult } from '../dp/index.js';
import {
  deltaOption, mechanismOption, parseOptions, releasesOption, sensitivityOption,
} from './calculator-options.js';
import type { RegisterCommand } from './commands.js';
import { emit } from './output.js';

const sigmaList = z.string({ message: '--sigma is required (e.g. --sigma 3.73 or --sigma 2,4,4)' }).trim()
  .min(1, '--sigma is empty')
  .transform((s, ctx) => s.split(',').map((part) => {
    const v = Number(part.trim());
    if (part.trim() === '' || !Number.isFinite(v) || v <= 0) {
      ctx.addIssue({ code: 'custom', message: `--sigma values must be numbers > 0, got "${part.trim()}"` });
    }
    return v;
  }));

const schema = z.object({
  sigma: sigmaList, delta: deltaOption, sensitivity: sensitivityOption, releases: releasesOption,
  mechanism: mechanismOption, json: z.boolean().optional(),
});

function human(r: AccountResult): string {
  const each = r.releases === 1 ? '' : `, each ${r.releases} times`;
  return [
    `epsilon = ${r.epsilon.toPrecision(7)} at delta = ${r.delta} for sigma ${r.sigmas.join(', ')}${each} (sensitivity ${r.sensitivity})`,
    `mechanism: ${r.mechanism}${r.mechanism === 'analytic-gaussian' ? ' (exact Gaussian composition)' : ' (zCDP + CKS20 conversion, as real releases)'}`,
    `equivalent single sigma ${r.sigmaEffective.toPrecision(7)}; GDP mu = ${r.mu.toPrecision(7)}; zCDP rho = ${r.rhoTotal.toPrecision(6)}`,
  ].join('\n');
}

/** Registers `account`. */
export const registerAccount: RegisterCommand = (program: Command) => {
  program.command('account')
    .description('total epsilon of Gaussian releases with the given sigma values')
    .option('--sigma <list>', 'noise sigma of each release, comma separated (e.g. 2,4,4)')
    .option('--delta <d>', 'delta (0 < delta < 1, e.g. 1e-5)')
    .option('--sensitivity <s>', 'L2 sensitivity of the query (> 0)', '1')
    .option('--releases <k>', 'each sigma listed is released this many times', '1')
    .option('--mechanism <m>', 'analytic-gaussian (continuous, exact) or discrete-gaussian (the figures real releases use)', 'analytic-gaussian')
    .option('--json', 'print one JSON object')
    .action((raw: Record<string, unknown>) => {
      const o = parseOptions(schema, raw);
      const result = account({
        sigmas: o.sigma.map((s) => sigma(s)), delta: delta(o.delta), sensitivity: l2Sensitivity(o.sensitivity),
        releases: o.releases, mechanism: o.mechanism,
      });
      emit(o.json === true, result, human);
    });
};
