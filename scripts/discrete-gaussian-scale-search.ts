/**
 * The (t, m) search of discreteGaussianScale below 2^16, computed exactly (BigInt, ⌈σ²⌉ from dyadic.ts) for a fixed
 * list of σ: does the top of the range, t = ⌈2σ⌉, ever give the unique smallest t·m, and do two t at the same
 * distance from σ ever tie for it? Evidence for docs/testing.md's reading of two mutants as equivalent
 * (`t <= ⌈2σ⌉` → `<`, and `<` → `<=` in the tie rule); it does not test discrete-gaussian.ts itself.
 *
 *   node --import tsx scripts/discrete-gaussian-scale-search.ts
 *
 * σ: i/4, i/10 + 0.05 and 3.3·√i for i = 1..4,000; every half-integer from 2 to 20,000; 2 + 0.0137·i for i < 20,000.
 */
import { ceilSquare } from '../src/dp/dyadic.js';

function search(sigma: number): { hi: number; best: number[] } {
  const sq = ceilSquare(sigma);
  const lo = Math.max(1, Math.floor(sigma / 2));
  const hi = Math.max(1, Math.ceil(2 * sigma));
  let min = -1n;
  let best: number[] = [];
  for (let t = lo; t <= hi; t++) {
    const product = ((sq + BigInt(t) - 1n) / BigInt(t)) * BigInt(t);
    if (min < 0n || product < min) { min = product; best = [t]; } else if (product === min) best.push(t);
  }
  return { hi, best };
}

const sigmas: number[] = [];
for (let i = 1; i <= 4000; i++) sigmas.push(i / 4, i / 10 + 0.05, 3.3 * Math.sqrt(i));
for (let i = 4; i <= 40_000; i++) sigmas.push(i / 2);
for (let i = 0; i < 20_000; i++) sigmas.push(2 + i * 0.0137);

let topAlone = 0;
let equidistant = 0;
for (const sigma of sigmas) {
  if (sigma < 1) continue; // below 1 the range is the single t = 1
  const { hi, best } = search(sigma);
  if (best.length === 1 && best[0] === hi) topAlone++;
  const distances = best.map((t) => Math.abs(t - sigma));
  const nearest = Math.min(...distances);
  if (distances.filter((d) => d === nearest).length > 1) equidistant++;
}
process.stdout.write(`${sigmas.length} σ: the top t = ⌈2σ⌉ alone smallest for ${topAlone}; equidistant ties for the smallest t·m: ${equidistant}\n`);
