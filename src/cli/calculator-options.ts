/**
 * Option parsing shared by the two calculators (`calibrate`, `account`): commander's raw strings are resolved
 * into strict, branded values by one zod schema each, reporting every problem at once.
 */
import { z } from 'zod';
import { DpHyperLoraError } from '../errors.js';

/** A number typed on the command line; `what` names the option in messages. */
export const cliNumber = (what: string) => z.string({ message: `${what} is required` }).trim().min(1, `${what} is empty`)
  .transform((s, ctx) => {
    const v = Number(s);
    if (!Number.isFinite(v)) ctx.addIssue({ code: 'custom', message: `${what} must be a number, got "${s}"` });
    return v;
  });

/** ε: > 0 (a calibration target) or ≥ 0. */
export const epsilonOption = cliNumber('--epsilon').pipe(z.number()
  .gt(0, '--epsilon must be > 0 (e.g. 1; epsilon = 0 would need infinite noise)'));

/** δ of a Gaussian mechanism: strictly between 0 and 1. */
export const deltaOption = cliNumber('--delta').pipe(z.number()
  .gt(0, '--delta must be > 0: a Gaussian mechanism cannot give delta = 0; use e.g. 1e-5')
  .lt(1, '--delta must be < 1 (e.g. 1e-5, well below 1/n)'));

/** Δ: > 0, default 1 (so σ reads as a noise multiplier). */
export const sensitivityOption = cliNumber('--sensitivity').pipe(z.number().gt(0, '--sensitivity must be > 0 (the L2 change one record can cause; default 1)'));

/** k: a whole number ≥ 1. */
export const releasesOption = z.string().trim().regex(/^\d+$/, '--releases must be a whole number >= 1').transform(Number)
  .pipe(z.number().int().min(1, '--releases must be at least 1').max(1e9, '--releases must be at most 1e9'));

/** The mechanism a calculator describes. */
export const mechanismOption = z.enum(['analytic-gaussian', 'discrete-gaussian'], {
  message: '--mechanism must be analytic-gaussian (continuous, the default) or discrete-gaussian (what real releases use)',
});

/** Parses `raw` with `schema` or throws INVALID_ARGUMENT naming every problem. */
export function parseOptions<T>(schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new DpHyperLoraError('INVALID_ARGUMENT', `${parsed.error.issues.map((i) => i.message).join('; ')}.`);
  return parsed.data;
}
