/**
 * The real release path: plan → ClippedSum → releaseMean.
 *
 * A plan fixes everything public about one release: the relation, the grid, the exact discrete-Gaussian noise
 * scales of the sum (and, under add-remove, of the count), the zCDP cost and its (ε, δ) guarantee. The count
 * and the sum compose by adding ρ (zCDP), and the total is converted to (ε, δ) by the improved conversion
 * (zcdp.ts). This is the accounting proven for the discrete Gaussian; it costs ~7-10% more noise than the
 * continuous analytic Gaussian at the same (ε, δ), whose ε at the same σ is reported for reference only.
 */
import { DpHyperLoraError } from '../errors.js';
import { ClippedSum } from './clip.js';
import { CryptoRandomSource, RandomBits } from './csprng.js';
import { discreteGaussianRho } from './discrete-gaussian-privacy.js';
import { type DiscreteGaussianScale, discreteGaussianScale, sampleDiscreteGaussian, scaleSigma } from './discrete-gaussian.js';
import { gaussianEpsilon } from './gaussian.js';
import { chooseGrid, type Grid } from './grid.js';
import { type Delta, type Epsilon, type NeighbouringRelation, type Rho, type ClipNorm, epsilon as makeEpsilon,
  delta as makeDelta, clipNorm as makeClipNorm, replaceOne, sumSensitivity, ADD_REMOVE } from './types.js';
import { epsilonFromRho, rhoForEpsilon } from './zcdp.js';

/** Default share of the release's ρ spent on the noisy count under add-remove. */
export const DEFAULT_COUNT_SHARE = 0.1;

/** What the user asks for: a total (ε, δ) for this one release, C, the relation and the dimension. */
export interface ReleaseRequest {
  readonly epsilon: Epsilon;
  readonly delta: Delta;
  readonly clipNorm: ClipNorm;
  readonly relation: NeighbouringRelation;
  readonly dim: number;
  /** Share of ρ given to the noisy count (add-remove only), in (0, 1); default 0.1. */
  readonly countShare?: number;
}

/** Everything public about one release. Plain data: serialisable with JSON.stringify. */
export interface ReleasePlan {
  readonly mechanism: 'discrete-gaussian';
  readonly request: ReleaseRequest;
  readonly grid: Grid;
  /** L2 sensitivity of the sum in real units: C (add-remove) or 2C (replace-one). */
  readonly sensitivitySum: number;
  /** Per-coordinate noise σ of the sum in real units (the sampler's exact σ' times g; ≥ the calibrated σ). */
  readonly sigmaSum: number;
  /** Exact sampler scale of the sum noise, in grid units. */
  readonly noiseSum: DiscreteGaussianScale;
  /** Noise σ of the count (add-remove), else null. */
  readonly sigmaCount: number | null;
  readonly noiseCount: DiscreteGaussianScale | null;
  /** Share of ρ spent on the count (add-remove), else null. */
  readonly countShare: number | null;
  readonly rhoSum: Rho;
  readonly rhoCount: Rho;
  /** ρ charged for this release (sum + count): what a ledger adds up. */
  readonly rhoTotal: Rho;
  /** The (ε, δ) guarantee of this release: improved zCDP conversion of rhoTotal at δ; ≤ request.epsilon. */
  readonly epsilon: Epsilon;
  readonly delta: Delta;
  /** ε that continuous Gaussians with the same σ would have (exact Balle-Wang formula), for reference only. */
  readonly epsilonContinuousReference: Epsilon;
}

function validateRequest(req: ReleaseRequest): { relation: NeighbouringRelation; countShare: number | null } {
  makeEpsilon(req.epsilon);
  makeDelta(req.delta);
  makeClipNorm(req.clipNorm);
  if (req.epsilon <= 0) throw new DpHyperLoraError('INVALID_ARGUMENT', 'epsilon must be > 0 for a release (epsilon = 0 needs infinite noise).');
  const relation = req.relation.kind === 'add-remove' ? ADD_REMOVE : replaceOne(req.relation.n);
  if (relation.kind === 'replace-one') {
    if (req.countShare !== undefined) throw new DpHyperLoraError('INVALID_ARGUMENT', 'countShare applies only to add-remove: under replace-one n is public and no count is released.');
    return { relation, countShare: null };
  }
  const share = req.countShare ?? DEFAULT_COUNT_SHARE;
  if (!(share > 0 && share < 1)) throw new DpHyperLoraError('INVALID_ARGUMENT', `countShare must be strictly between 0 and 1, got ${share}; the default is ${DEFAULT_COUNT_SHARE}.`);
  return { relation, countShare: share };
}

/**
 * Plans one release: ρ = the largest zCDP budget whose conversion meets (ε, δ); split between sum and count;
 * σ = Δ/√(2ρ) each, rounded UP to the sampler's exact scale; the guarantee recomputed from the exact scales
 * (and the multivariate discrete-Gaussian term). Deterministic: the same request gives the same plan.
 */
export function planRelease(req: ReleaseRequest): ReleasePlan {
  const { relation, countShare } = validateRequest(req);
  const request: ReleaseRequest = { epsilon: req.epsilon, delta: req.delta, clipNorm: req.clipNorm, relation, dim: req.dim, ...(countShare === null ? {} : { countShare }) };
  const rhoTarget = rhoForEpsilon(req.epsilon, req.delta);
  const sensitivitySum = sumSensitivity(req.clipNorm, relation);
  for (let inflate = 1, attempt = 0; attempt < 200; attempt++, inflate *= 1 + 1e-4) {
    const rhoSumTarget = rhoTarget * (1 - (countShare ?? 0));
    const grid = chooseGrid(req.clipNorm, req.dim, (sensitivitySum / Math.sqrt(2 * rhoSumTarget)) * inflate);
    const sensitivityGrid = sensitivitySum / grid.step;
    const noiseSum = discreteGaussianScale((sensitivityGrid / Math.sqrt(2 * rhoSumTarget)) * inflate);
    const rhoSum = discreteGaussianRho(sensitivityGrid, noiseSum, req.dim);
    const noiseCount = countShare === null ? null : discreteGaussianScale(inflate / Math.sqrt(2 * rhoTarget * countShare));
    const rhoCount = (noiseCount === null ? 0 : discreteGaussianRho(1, noiseCount, 1)) as Rho;
    const rhoTotal = ((rhoSum + rhoCount) * (1 + 2 ** -50)) as Rho;
    const eps = epsilonFromRho(rhoTotal, req.delta);
    if (eps > req.epsilon) continue;
    const sigmaSumGrid = scaleSigma(noiseSum);
    const muSq = (sensitivityGrid / sigmaSumGrid) ** 2 + (noiseCount === null ? 0 : 1 / scaleSigma(noiseCount) ** 2);
    const plan: ReleasePlan = deepFreeze({
      mechanism: 'discrete-gaussian', request, grid, sensitivitySum, sigmaSum: sigmaSumGrid * grid.step, noiseSum,
      sigmaCount: noiseCount === null ? null : scaleSigma(noiseCount), noiseCount, countShare,
      rhoSum, rhoCount, rhoTotal, epsilon: eps, delta: req.delta,
      epsilonContinuousReference: gaussianEpsilon(req.delta, Math.sqrt(muSq)),
    });
    plannedHere.add(plan);
    return plan;
  }
  throw new DpHyperLoraError('INTERNAL', 'could not plan a release that meets the requested (epsilon, delta); this is a bug, please report it.');
}

/** One released mean. Under add-remove the only size output is the noisy count; under replace-one, the declared n. */
export type MeanRelease =
  | { readonly relation: 'add-remove'; readonly noisySum: Float64Array; readonly noisyCount: number; readonly mean: Float64Array; readonly plan: ReleasePlan }
  | { readonly relation: 'replace-one'; readonly noisySum: Float64Array; readonly declaredN: number; readonly mean: Float64Array; readonly plan: ReleasePlan };

const defaultBits = new RandomBits(new CryptoRandomSource());

/**
 * Plans known to be planRelease's own output, so releaseMean need not re-derive them (~1 ms each): the deeply
 * frozen objects planRelease returned (they cannot be edited afterwards), and the JSON of plans verified once.
 */
const plannedHere = new WeakSet<ReleasePlan>();
const verifiedPlans = new Set<string>();

/** Freezes a plan and every object in it (a plan is a tree of plain data; freezing a frozen object is a no-op). */
function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v as object);
  return Object.freeze(o);
}

/**
 * Adds fresh CSPRNG discrete-Gaussian noise to the sum (and count) and normalises: the release itself. The plan
 * is re-derived from its request and must match exactly (a stored or hand-edited plan cannot weaken the noise),
 * and the sum must have been built for this plan's C, d and grid.
 */
export function releaseMean(sum: ClippedSum, plan: ReleasePlan): MeanRelease {
  checkPlanAndSum(sum, plan);
  return releaseMeanWith(sum, plan, defaultBits);
}

function checkPlanAndSum(sum: ClippedSum, plan: ReleasePlan): void {
  if (!plannedHere.has(plan)) {
    const planJson = JSON.stringify(plan);
    if (!verifiedPlans.has(planJson)) {
      if (JSON.stringify(planRelease(plan.request)) !== planJson) {
        throw new DpHyperLoraError('INVALID_ARGUMENT', 'the release plan does not match what planRelease computes for its request (was it edited?); plan the release again.');
      }
      if (verifiedPlans.size >= 64) verifiedPlans.clear();
      verifiedPlans.add(planJson);
    }
  }
  const g = sum.grid;
  if (sum.clip !== plan.request.clipNorm || sum.dim !== plan.request.dim || g.exponent !== plan.grid.exponent
    || g.clipInner !== plan.grid.clipInner || g.normSqBound !== plan.grid.normSqBound) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', 'the ClippedSum was not built for this plan (clip norm, dimension or grid differ); use clippedSumFor(plan).');
  }
}

/**
 * Add-remove, first part of a split release: the noisy count alone (n + discrete Gaussian noise of the plan's count
 * scale; sensitivity 1, zCDP ρ = plan.rhoCount). Releasing it first lets a caller stop before the sum is released,
 * deciding only on this DP value (post-processing), so the stop reveals nothing beyond the noisy count. Composition:
 * count then sum costs rhoCount + rhoSum ≤ rhoTotal (zCDP adds under adaptive composition, Bun & Steinke 2016, Lemma 2.3).
 */
export function releaseNoisyCount(sum: ClippedSum, plan: ReleasePlan): number {
  checkPlanAndSum(sum, plan);
  // A checked plan has count noise exactly when its relation is add-remove.
  if (plan.noiseCount === null) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', 'a noisy count is released only under add-remove; under replace-one n is declared public.');
  }
  return noisyCountWith(sum, plan.noiseCount, defaultBits);
}

/** n + one discrete-Gaussian draw of the count's scale: the only way a count leaves this module. */
function noisyCountWith(sum: ClippedSum, noiseCount: DiscreteGaussianScale, rng: RandomBits): number {
  return sum.count + sampleDiscreteGaussian(rng, noiseCount);
}

/**
 * Add-remove, second part of a split release: the noisy sum (ρ = plan.rhoSum), divided by max(1, noisyCount) from
 * {@link releaseNoisyCount}. Together the two parts give exactly the distribution of {@link releaseMean}.
 */
export function releaseMeanGivenCount(sum: ClippedSum, plan: ReleasePlan, noisyCount: number): MeanRelease {
  checkPlanAndSum(sum, plan);
  if (plan.request.relation.kind !== 'add-remove' || !Number.isSafeInteger(noisyCount)) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', 'releaseMeanGivenCount needs an add-remove plan and the integer noisy count from releaseNoisyCount.');
  }
  const noisySum = noisySumWith(sum, plan, defaultBits);
  const divisor = Math.max(1, noisyCount);
  return { relation: 'add-remove', noisySum, noisyCount, mean: noisySum.map((x) => x / divisor), plan };
}

function noisySumWith(sum: ClippedSum, plan: ReleasePlan, rng: RandomBits): Float64Array {
  const integerSum = sum.integerSum();
  const noisySum = new Float64Array(integerSum.length);
  for (let i = 0; i < integerSum.length; i++) {
    // Integer + integer (both < 2^52 in magnitude) is exact; times g = 2^e is exact: no float-addition leak.
    noisySum[i] = ((integerSum[i] as number) + sampleDiscreteGaussian(rng, plan.noiseSum)) * plan.grid.step;
  }
  return noisySum;
}

/**
 * The noise-and-normalise step with an explicit random source. INTERNAL test seam: not exported from index.ts
 * and unreachable from the CLI; it does not re-check the plan (the audit uses that to plant bugs).
 */
export function releaseMeanWith(sum: ClippedSum, plan: ReleasePlan, rng: RandomBits): MeanRelease {
  const relation = plan.request.relation;
  if (relation.kind === 'replace-one' && sum.count !== relation.n) {
    throw new DpHyperLoraError('INVALID_INPUT_DATA', `replace-one was declared with n = ${relation.n} but a different number of vectors was summed; declare the true n or use add-remove.`);
  }
  const noisySum = noisySumWith(sum, plan, rng);
  if (relation.kind === 'replace-one') {
    return { relation: 'replace-one', noisySum, declaredN: relation.n, mean: noisySum.map((x) => x / relation.n), plan };
  }
  if (plan.noiseCount === null) throw new DpHyperLoraError('INTERNAL', 'add-remove plan without count noise.');
  const noisyCount = noisyCountWith(sum, plan.noiseCount, rng);
  const divisor = Math.max(1, noisyCount);
  return { relation: 'add-remove', noisySum, noisyCount, mean: noisySum.map((x) => x / divisor), plan };
}

/** A ClippedSum for this plan's C, d and grid (same as ClippedSum.forPlan). */
export function clippedSumFor(plan: ReleasePlan): ClippedSum {
  return ClippedSum.forPlan(plan);
}
