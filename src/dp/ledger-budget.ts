/**
 * Budget arithmetic of the privacy ledger: adding ρ with upward rounding, and the BUDGET_EXHAUSTED error.
 * Pure.
 */
import { DpHyperLoraError } from '../errors.js';
import { cliInvocation } from '../cli-invocation.js';
import type { Delta, Epsilon, Rho } from './types.js';

const bits = new Float64Array(1);
const ints = new BigInt64Array(bits.buffer);

/** The next double above `x` (x finite and ≥ 0). */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  bits[0] = x;
  ints[0] = (ints[0] as bigint) + 1n;
  return bits[0] as number;
}

/**
 * `a + b` rounded UP (a, b ≥ 0): never below the exact sum, so a per-image total never under-counts.
 * TwoSum (Knuth, TAOCP vol. 2 §4.2.2) gives the exact rounding error of `a + b`; when the exact sum lies
 * above the rounded one, step one ulp up. Written by hand: five lines, and the direction is the point.
 */
export function addRoundingUp(a: number, b: number): number {
  const s = a + b;
  const bVirtual = s - a;
  const error = (a - (s - bVirtual)) + (b - bVirtual);
  return error > 0 ? nextUp(s) : s;
}

/** The largest entry of a non-empty array (a loop: spreading a large set into Math.max overflows the stack). */
export function maxOf(values: readonly number[]): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > best) best = v;
  return best;
}

/** Rounds `x` up to three significant digits, for a budget the user can type. */
function ceilToThreeDigits(x: number): number {
  if (!(x > 0)) return 0;
  const scale = 10 ** (Math.floor(Math.log10(x)) - 2);
  let steps = Math.ceil(x / scale);
  let rounded = Number((steps * scale).toPrecision(3));
  while (rounded < x) {
    steps += 1;
    rounded = Number((steps * scale).toPrecision(3));
  }
  return rounded;
}

function show(x: number): string {
  return String(Number(x.toPrecision(4)));
}

/** What the BUDGET_EXHAUSTED message reports: public quantities only, never a count of images. */
export interface ExhaustedFacts {
  /** The ledger database path (public: it names the ledger, not an image). */
  path: string;
  budget: { epsilon: Epsilon; delta: Delta };
  releaseRho: Rho;
  /** `releaseRho` as ε at the budget's δ. */
  releaseEpsilon: Epsilon;
  /** Room left for the most-spent image of the set, as ε at the budget's δ. */
  remaining: { epsilon: Epsilon; rho: Rho };
  /** The budget ε that the most-spent image would need for this release to fit. */
  requiredEpsilon: Epsilon;
}

/** The error for a refused release: the remaining budget, and the exact command that would raise it. */
export function budgetExhausted(facts: ExhaustedFacts): DpHyperLoraError {
  const { budget } = facts;
  const suggested = Math.max(ceilToThreeDigits(facts.requiredEpsilon), budget.epsilon);
  const command = `${cliInvocation()} ledger budget --epsilon ${suggested} --delta ${budget.delta} --ledger "${facts.path}"`;
  return new DpHyperLoraError('BUDGET_EXHAUSTED',
    `release refused: it would charge ρ=${show(facts.releaseRho)} (ε=${show(facts.releaseEpsilon)} at δ=${budget.delta}) to every image of the set, `
    + `but the most-spent image in the set has room left for at most ε=${show(facts.remaining.epsilon)} at δ=${budget.delta} within its budget ε=${budget.epsilon} at δ=${budget.delta}. `
    + 'Nothing was charged and no noisy value was computed. '
    + 'Release with a smaller ε, repeat an earlier release (same images, parameters and release number; it costs nothing), '
    + `or raise the per-image budget, which weakens the guarantee for every image in the ledger: ${command}`,
    {
      details: {
        budgetEpsilon: budget.epsilon, budgetDelta: budget.delta, remainingEpsilon: facts.remaining.epsilon,
        remainingRho: facts.remaining.rho, releaseRho: facts.releaseRho, releaseEpsilon: facts.releaseEpsilon,
        requiredEpsilon: facts.requiredEpsilon, raiseCommand: command,
      },
    });
}

/**
 * How many releases costing `rhoPerRelease` each fit one fresh image's budget (ε, δ): the largest k with
 * ε(ρ₁ + … + ρ_k, δ) ≤ ε, where the sum is formed exactly as the ledger forms it (rounded up at every addition),
 * so the answer is the number the ledger would actually accept. zCDP composes by adding ρ (Bun & Steinke 2016,
 * Lemma 2.3). Start from `spentRho` for an image that has already spent some (default: a fresh image). Public: it
 * depends on the budget, the release's parameters and what the most-spent image has spent. Capped at `cap`.
 */
export function releasesThatFit(rhoPerRelease: Rho, budget: { epsilon: Epsilon; delta: Delta }, epsilonOf: (rho: Rho, delta: Delta) => number, spentRho = 0, cap = 100_000): number {
  if (!(rhoPerRelease > 0) || !Number.isFinite(rhoPerRelease)) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `rhoPerRelease must be a finite number > 0, got ${rhoPerRelease}; pass the release plan's rhoTotal.`);
  }
  let spent = spentRho;
  for (let k = 0; k < cap; k++) {
    const next = addRoundingUp(spent, rhoPerRelease);
    if (epsilonOf(next as Rho, budget.delta) > budget.epsilon) return k;
    spent = next;
  }
  return cap;
}
