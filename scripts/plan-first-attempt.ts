/**
 * Does planRelease ever need its retry loop? Replays the planner's first attempt (inflate = 1, the same formulas as
 * src/dp/release.ts) for seeded random requests and counts those whose exact ε exceeds the request (which would
 * send planRelease to a second attempt). Evidence for docs/testing.md's reading of the loop's mutants as
 * equivalent; it does not test release.ts itself.
 *
 *   node --import tsx scripts/plan-first-attempt.ts [requests=20000] [seed=99]
 *
 * Ranges: ε 10^-5 to 10^1.5, δ 10^-12 to 10^-1, C 0.01 to 10, d 1 to 2^20; 70% add-remove (half with count share
 * 0.1, half uniform in 0.001-0.999), 30% replace-one. Requests the planner refuses (noise too large for d) are
 * counted apart.
 */
import { discreteGaussianRho } from '../src/dp/discrete-gaussian-privacy.js';
import { discreteGaussianScale } from '../src/dp/discrete-gaussian.js';
import { chooseGrid } from '../src/dp/grid.js';
import { ADD_REMOVE, replaceOne, sumSensitivity, type ClipNorm, type Delta, type Epsilon, type Rho } from '../src/dp/types.js';
import { epsilonFromRho, rhoForEpsilon } from '../src/dp/zcdp.js';
import { isDpError } from '../src/errors.js';

const requests = Number(process.argv[2] ?? 20_000);
let seed = Number(process.argv[3] ?? 99);
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};

let retries = 0;
let refused = 0;
let closest = Number.POSITIVE_INFINITY;
for (let i = 0; i < requests; i++) {
  const eps = (10 ** (-5 + rnd() * 6.5)) as Epsilon;
  const del = (10 ** (-12 + rnd() * 11)) as Delta;
  const clip = (0.01 + rnd() * 10) as ClipNorm;
  const dim = 1 + Math.floor(2 ** (rnd() * 20));
  const addRemove = rnd() < 0.7;
  const share = addRemove ? (rnd() < 0.5 ? 0.1 : 0.001 + rnd() * 0.998) : null;
  try {
    const rhoTarget = rhoForEpsilon(eps, del);
    const sens = sumSensitivity(clip, addRemove ? ADD_REMOVE : replaceOne(10));
    const rhoSumTarget = rhoTarget * (1 - (share ?? 0));
    const grid = chooseGrid(clip, dim, sens / Math.sqrt(2 * rhoSumTarget));
    const sensGrid = sens / grid.step;
    const rhoSum = discreteGaussianRho(sensGrid, discreteGaussianScale(sensGrid / Math.sqrt(2 * rhoSumTarget)), dim);
    const rhoCount = share === null ? 0 : discreteGaussianRho(1, discreteGaussianScale(1 / Math.sqrt(2 * rhoTarget * share)), 1);
    const got = epsilonFromRho(((rhoSum + rhoCount) * (1 + 2 ** -50)) as Rho, del);
    if (got > eps) retries++;
    closest = Math.min(closest, (eps - got) / eps);
  } catch (e) {
    if (!isDpError(e)) throw e;
    refused++;
  }
}
process.stdout.write(`${requests} requests (seed ${process.argv[3] ?? 99}): ${retries} need a second attempt, ${refused} refused; `
  + `smallest relative slack (ε − ε_plan)/ε = ${closest.toExponential(2)}\n`);
