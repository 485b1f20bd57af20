/**
 * How the demo's class mix follows the sample set as the LoRA strength grows, over several independent releases:
 *
 *   node --import tsx bench/demo-strength.ts [--releases K] [--strengths 1,1.5,2,3] [--samples N]
 *
 * Each of the K releases is a fresh DP release of the bundled example set at ε = 1, δ = 1e-5 (its own ledger; the
 * privacy noise comes from crypto, so releases differ from run to run and only K-release summaries are stable). Each
 * release's LoRA is then sampled at every strength (a repeat of the stored release: free), paired on the same
 * sampler seeds, and scored like the demo: KL(set ‖ samples) of the pack's classifier and FID against the set.
 * Prints, per strength, the mean and range over releases of KL(LoRA)/KL(base) and of FID(LoRA)/FID(base). The
 * issue 13 target on the bundled set is KL(DP LoRA) ≤ 0.5 × KL(base) at ε = 1.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import type { DemoReport } from '../src/cli/demo.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const releases = Number(arg('--releases', '5'));
const strengths = arg('--strengths', '1,1.5,2,3').split(',').map(Number);
const samples = arg('--samples', '64');
const out = await mkdtemp(join(tmpdir(), 'dphl-bench-strength-'));
const rows = new Map<number, { kl: number[]; fid: number[] }>(strengths.map((s) => [s, { kl: [], fid: [] }]));
const quiet = process.stdout.write.bind(process.stdout);
try {
  for (let k = 0; k < releases; k++) {
    const ledger = join(out, `release-${k}.sqlite`);
    for (const s of strengths) {
      const dir = join(out, `r${k}-s${s}`);
      // The demo prints its report; this bench prints only its own summary.
      process.stdout.write = (() => true) as typeof process.stdout.write;
      const status = await main(['demo', '--out', dir, '--ledger', ledger, '--strength', String(s), '--samples', samples, '--json']);
      process.stdout.write = quiet;
      if (status !== 0) throw new Error(`demo exited with status ${status} (release ${k}, strength ${s})`);
      const r = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as DemoReport;
      const c = r.evaluation.classes;
      const f = r.evaluation.fid;
      if (c === undefined || f === undefined) throw new Error('the bundled pack has no classifier: nothing to measure');
      rows.get(s)?.kl.push(c.klLora / c.klBase);
      rows.get(s)?.fid.push(f.ratio);
    }
  }
  const fmt = (v: number[]): string => `${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3)} (${Math.min(...v).toFixed(3)}–${Math.max(...v).toFixed(3)})`;
  quiet([
    '',
    `bundled set, ε = 1, δ = 1e-5, ${releases} independent releases, ${samples} samples per side, pack default DDIM steps`,
    'strength  KL(LoRA)/KL(base) mean (min–max)  FID(LoRA)/FID(base) mean (min–max)',
    ...strengths.map((s) => `${String(s).padEnd(8)}  ${fmt(rows.get(s)?.kl ?? []).padEnd(32)}  ${fmt(rows.get(s)?.fid ?? [])}`),
    '',
  ].join('\n'));
} finally {
  process.stdout.write = quiet;
  await rm(out, { recursive: true, force: true });
}
