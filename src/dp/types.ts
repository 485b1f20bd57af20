/**
 * Branded privacy quantities and the neighbouring relation. A brand makes it a type error to pass a δ where
 * an ε is expected; the constructors are the only way to make one, and they validate (OpenDP style: bad
 * arguments throw at construction, with a message that says what to fix).
 */
import { DpHyperLoraError } from '../errors.js';

declare const brand: unique symbol;
/** A number tagged with the privacy meaning it carries. */
export type Branded<T, B extends string> = T & { readonly [brand]: B };

/** ε of (ε, δ)-DP: finite and ≥ 0. */
export type Epsilon = Branded<number, 'Epsilon'>;
/** δ of (ε, δ)-DP for a Gaussian mechanism: strictly between 0 and 1. */
export type Delta = Branded<number, 'Delta'>;
/** ρ of ρ-zCDP (Bun & Steinke 2016): finite and ≥ 0. */
export type Rho = Branded<number, 'Rho'>;
/** Per-coordinate standard deviation of Gaussian noise, in the units of the released value: finite, > 0. */
export type Sigma = Branded<number, 'Sigma'>;
/** L2 sensitivity Δ of a query (how far one neighbour can move it): finite, > 0. */
export type L2Sensitivity = Branded<number, 'L2Sensitivity'>;
/** L2 clipping norm C applied to each private vector: finite, > 0. */
export type ClipNorm = Branded<number, 'ClipNorm'>;

/**
 * The neighbouring relation: which pairs of datasets must be indistinguishable.
 * - `add-remove`: one image added or removed. The dataset size is private; it is released only as a noisy count.
 * - `replace-one`: one image replaced by another; the user declares the dataset size `n` public.
 */
export type NeighbouringRelation = { readonly kind: 'add-remove' } | { readonly kind: 'replace-one'; readonly n: number };

function invalid(message: string): DpHyperLoraError {
  return new DpHyperLoraError('INVALID_ARGUMENT', message);
}

function describe(x: number): string {
  return Number.isNaN(x) ? 'NaN' : String(x);
}

/** Makes an ε; throws INVALID_ARGUMENT unless `x` is finite and ≥ 0. */
export function epsilon(x: number): Epsilon {
  if (!Number.isFinite(x) || x < 0) {
    throw invalid(`epsilon must be a finite number >= 0, got ${describe(x)}; pass a privacy loss such as 1 (smaller is more private).`);
  }
  return x as Epsilon;
}

/** Makes a δ; throws INVALID_ARGUMENT unless 0 < `x` < 1 (δ = 0 is impossible with a Gaussian mechanism). */
export function delta(x: number): Delta {
  if (Number.isNaN(x) || x <= 0 || x >= 1) {
    const why = x === 0
      ? 'delta = 0 cannot be met by any Gaussian mechanism (it would need infinite noise)'
      : `delta must be strictly between 0 and 1, got ${describe(x)}`;
    throw invalid(`${why}; pass a small probability such as 1e-5 (well below 1/n).`);
  }
  return x as Delta;
}

/** Makes a ρ; throws INVALID_ARGUMENT unless `x` is finite and ≥ 0. */
export function rho(x: number): Rho {
  if (!Number.isFinite(x) || x < 0) throw invalid(`rho (zCDP) must be a finite number >= 0, got ${describe(x)}.`);
  return x as Rho;
}

/** Makes a σ; throws INVALID_ARGUMENT unless `x` is finite and > 0. */
export function sigma(x: number): Sigma {
  if (!Number.isFinite(x) || x <= 0) {
    throw invalid(`sigma (noise standard deviation) must be a finite number > 0, got ${describe(x)}.`);
  }
  return x as Sigma;
}

/** Makes a Δ; throws INVALID_ARGUMENT unless `x` is finite and > 0. Only the calculators take a Δ from users. */
export function l2Sensitivity(x: number): L2Sensitivity {
  if (!Number.isFinite(x) || x <= 0) {
    throw invalid(`sensitivity must be a finite number > 0, got ${describe(x)}; it is the largest L2 change one record can cause.`);
  }
  return x as L2Sensitivity;
}

/**
 * Makes a clip norm C; throws INVALID_ARGUMENT unless `x` is finite and within [2^-500, 2^500] (the bounds keep
 * the 2^-k grid of the discrete Gaussian inside the normal range of doubles).
 */
export function clipNorm(x: number): ClipNorm {
  if (!Number.isFinite(x) || x < 2 ** -500 || x > 2 ** 500) {
    throw invalid(`clip norm C must be a finite number > 0 (between 2^-500 and 2^500), got ${describe(x)}; use the pack's default C.`);
  }
  return x as ClipNorm;
}

/** The add-remove relation (the default of the project: n stays private). */
export const ADD_REMOVE: NeighbouringRelation = Object.freeze({ kind: 'add-remove' });

/** Makes the replace-one relation with a declared public dataset size `n` (an integer ≥ 1). */
export function replaceOne(n: number): NeighbouringRelation {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw invalid(`replace-one needs the declared public dataset size n as an integer >= 1, got ${describe(n)}.`);
  }
  return Object.freeze({ kind: 'replace-one', n });
}

/**
 * L2 sensitivity of a SUM of vectors clipped to norm C, derived from the relation: C under add-remove (one
 * vector appears or vanishes), 2C under replace-one (one vector x becomes x', ‖x − x'‖ ≤ 2C). dp.md §5.
 */
export function sumSensitivity(clip: ClipNorm, relation: NeighbouringRelation): L2Sensitivity {
  return (relation.kind === 'add-remove' ? clip : 2 * clip) as L2Sensitivity;
}

/** L2 sensitivity of the COUNT under add-remove: one record changes it by exactly 1. */
export const COUNT_SENSITIVITY = 1 as L2Sensitivity;
