/**
 * `dp-hyperlora calibrate --epsilon E --delta D [--sensitivity S] [--releases K] [--mechanism M] [--json]`:
 * the per-release noise σ that makes K releases jointly (ε, δ)-DP. A calculator: it touches no data and no
 * ledger, and is the only place besides `account` where a sensitivity is typed in.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { calibrate, delta, epsilon, l2Sensitivity, type CalibrateResult } from '../dp/index.js';
import {
  deltaOption, epsilonOption, mechanismOption, parseOptions, releasesOption, sensitivityOption,
} from './calculator-options.js';
import type { RegisterCommand } from './commands.js';
import { emit } from './output.js';

const schema = z.object({
  epsilon: epsilonOption, delta: deltaOption, sensitivity: sensitivityOption, releases: releasesOption,
  mechanism: mechanismOption, json: z.boolean().optional(),
});

function human(r: CalibrateResult): string {
  const per = r.releases === 1 ? '' : ` per release (${r.releases} releases, jointly)`;
  return [
    `sigma = ${r.sigma.toPrecision(7)}${per} for (epsilon = ${r.epsilon}, delta = ${r.delta}), sensitivity ${r.sensitivity}`,
    `mechanism: ${r.mechanism}${r.mechanism === 'analytic-gaussian' ? ' (exact, Balle & Wang 2018)' : ' (zCDP + CKS20 conversion, as real releases)'}`,
    `noise multiplier sigma/sensitivity = ${r.noiseMultiplier.toPrecision(7)}; zCDP rho of all releases = ${r.rhoTotal.toPrecision(6)}`,
    `for comparison only: the classic sqrt(2 ln(1.25/delta))/epsilon formula would give ${r.classicSigmaForComparison.toPrecision(7)}`,
  ].join('\n');
}

/** Registers `calibrate`. */
export const registerCalibrate: RegisterCommand = (program: Command) => {
  program.command('calibrate')
    .description('noise sigma for a target (epsilon, delta): the analytic Gaussian by default')
    .option('--epsilon <e>', 'target epsilon (> 0) for all releases together')
    .option('--delta <d>', 'target delta (0 < delta < 1, e.g. 1e-5)')
    .option('--sensitivity <s>', 'L2 sensitivity of the query (> 0)', '1')
    .option('--releases <k>', 'number of releases at this sigma that must jointly meet (epsilon, delta)', '1')
    .option('--mechanism <m>', 'analytic-gaussian (continuous, exact) or discrete-gaussian (the figures real releases use)', 'analytic-gaussian')
    .option('--json', 'print one JSON object')
    .action((raw: Record<string, unknown>) => {
      const o = parseOptions(schema, raw);
      const result = calibrate({
        epsilon: epsilon(o.epsilon), delta: delta(o.delta), sensitivity: l2Sensitivity(o.sensitivity),
        releases: o.releases, mechanism: o.mechanism,
      });
      emit(o.json === true, result, human);
    });
};
