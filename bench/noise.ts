/**
 * Privacy-noise throughput, side by side in one run:
 *
 *   node --import tsx bench/noise.ts [--rounds 5] [--samples 200000]
 *
 * For d ∈ {64, 768, 4096} it plans a real release (ε = 1, δ = 1e-5, C = 1, add-remove) and times the exact
 * discrete-Gaussian sampler at that release's scale (σ ≈ 2^26 grid units), against two plain Box-Muller
 * samplers of continuous normals: one on Math.random, one fed by the same CSPRNG pool. Each round measures all
 * three back to back; the table shows the median over rounds (the machine may be shared), the ratios, and the
 * time one whole releaseMean takes (noise on d coordinates plus the count). Target: the discrete sampler at most
 * 20× slower than Box-Muller.
 */
import { parseArgs } from 'node:util';
import { ADD_REMOVE, clipNorm, clippedSumFor, delta, epsilon, planRelease, releaseMean } from '../src/dp/index.js';
import { CryptoRandomSource, RandomBits } from '../src/dp/csprng.js';
import { sampleDiscreteGaussian, type DiscreteGaussianScale } from '../src/dp/discrete-gaussian.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, samples: { type: 'string', default: '200000' } } });
const ROUNDS = Number(values.rounds);
const SAMPLES = Number(values.samples);

function timeIt(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Box-Muller: two N(0,1) from two uniforms in (0, 1]. */
function boxMuller(out: Float64Array, uniform: () => number): void {
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const a = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(a);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(a);
  }
}

const pool = new CryptoRandomSource();
/** A uniform double in (0, 1] with 53 random bits from the CSPRNG pool. */
const csprngUniform = (): number => ((pool.nextUint32() >>> 5) * 67108864 + (pool.nextUint32() >>> 6) + 1) / 9007199254740992;
const mathUniform = (): number => 1 - Math.random();

const bits = new RandomBits(new CryptoRandomSource());
function discrete(out: Float64Array, scale: DiscreteGaussianScale): void {
  for (let i = 0; i < out.length; i++) out[i] = sampleDiscreteGaussian(bits, scale);
}

const rows: string[][] = [];
for (const dim of [64, 768, 4096]) {
  const plan = planRelease({ epsilon: epsilon(1), delta: delta(1e-5), clipNorm: clipNorm(1), relation: ADD_REMOVE, dim });
  const sum = clippedSumFor(plan);
  sum.addBatch(new Float32Array(dim * 100).fill(0.01));
  const buf = new Float64Array(SAMPLES);
  const dg: number[] = [];
  const bmMath: number[] = [];
  const bmCsprng: number[] = [];
  const release: number[] = [];
  const releasesPerRound = Math.max(3, Math.round(200_000 / dim));
  for (let r = 0; r < ROUNDS; r++) {
    dg.push(SAMPLES / timeIt(() => discrete(buf, plan.noiseSum)));
    bmMath.push(SAMPLES / timeIt(() => boxMuller(buf, mathUniform)));
    bmCsprng.push(SAMPLES / timeIt(() => boxMuller(buf, csprngUniform)));
    release.push(timeIt(() => { for (let i = 0; i < releasesPerRound; i++) releaseMean(sum, plan); }) / releasesPerRound);
  }
  const d = median(dg);
  rows.push([
    String(dim), `${(plan.sigmaSum / plan.grid.step).toExponential(2)}`, (d / 1e6).toFixed(2), (median(bmMath) / 1e6).toFixed(2),
    (median(bmCsprng) / 1e6).toFixed(2), (median(bmMath) / d).toFixed(1), (median(bmCsprng) / d).toFixed(1),
    (median(release) * 1e3).toFixed(2),
  ]);
}

const header = ['d', 'σ (grid units)', 'discrete Msamples/s', 'BM Math.random Msamples/s', 'BM CSPRNG Msamples/s',
  'slowdown vs BM Math.random', 'slowdown vs BM CSPRNG', 'releaseMean ms'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i] as number)).join(' | ');
console.log(`noise benchmark: ${SAMPLES} samples per sampler per round, median of ${ROUNDS} rounds (node ${process.version})`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(line(r));
console.log('target: slowdown vs Box-Muller ≤ 20×');
