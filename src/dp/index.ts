/**
 * The public surface of dp-hyperlora's privacy core. Explicit exports only. Deliberately absent: any way to
 * choose or seed the randomness of privacy noise (the CSPRNG source, the sampler and `releaseMeanWith` are
 * internal to src/dp and its tests).
 */
export {
  type Epsilon, type Delta, type Rho, type Sigma, type L2Sensitivity, type ClipNorm, type NeighbouringRelation,
  epsilon, delta, rho, sigma, l2Sensitivity, clipNorm, ADD_REMOVE, replaceOne, sumSensitivity, COUNT_SENSITIVITY,
} from './types.js';
export { normalCdf, logNormalCdf } from './normal.js';
export {
  type GaussianRelease, gaussianDelta, gaussianDeltaAtZero, gaussianEpsilon, compositionMu, analyticGaussianSigma,
  classicGaussianSigma,
} from './gaussian.js';
export { gaussianRho, epsilonFromRho, deltaFromRho, rhoForEpsilon } from './zcdp.js';
export { clipToNorm, ClippedSum, MAX_VECTORS } from './clip.js';
export { type Grid } from './grid.js';
export { type DiscreteGaussianScale } from './discrete-gaussian.js';
export {
  type ReleaseRequest, type ReleasePlan, type MeanRelease, DEFAULT_COUNT_SHARE, planRelease, releaseMean, clippedSumFor,
} from './release.js';
export { meanNoiseInClipUnits, meanNoiseStdOverC, smallestNFor } from './mean-noise.js';
export {
  type CalculatorMechanism, type CalibrateInput, type CalibrateResult, type AccountInput, type AccountResult,
  calibrate, account,
} from './calculators.js';
export {
  type Ledger, type LedgerOptions, type LedgerReleaseRequest, type LedgerReleaseOutcome, type ReleaseSummary,
  type ReleaseDetail, type BudgetReport, type RemainingBudget, type PrivacyBudget,
  openLedger, defaultLedgerPath, DEFAULT_BUDGET,
} from './ledger.js';
export { type ImageId, type JsonValue } from './identity.js';
