/**
 * How the demo's class mix follows the sample set as the LoRA strength or the LoRA guidance weight grows, over
 * several independent releases:
 *
 *   node --import tsx bench/demo-strength.ts [--releases K] [--strengths 1,1.5,2,3] [--guidances 1] [--samples N]
 *
 * Each of the K releases is a fresh DP release of the bundled example set at ε = 1, δ = 1e-5 (its own ledger; the
 * privacy noise comes from crypto, so releases differ from run to run and only K-release summaries are stable). Each
 * release's LoRA is then sampled at every strength × guidance weight (a repeat of the stored release: free), paired on the same
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
const guidances = arg('--guidances', '1').split(',').map(Number);
const settings = strengths.flatMap((s) => guidances.map((w) => ({ s, w, key: `${s}/${w}` })));
const samples = arg('--samples', '64');
const out = await mkdtemp(join(tmpdir(), 'dphl-bench-strength-'));
const rows = new Map<string, { kl: number[]; fid: number[] }>(settings.map(({ key }) => [key, { kl: [], fid: [] }]));
const quiet = process.stdout.write.bind(process.stdout);
try {
  for (let k = 0; k < releases; k++) {
    const ledger = join(out, `release-${k}.sqlite`);
    for (const { s, w, key } of settings) {
      const dir = join(out, `r${k}-s${s}-w${w}`);
      // The demo prints its report; this bench prints only its own summary.
      process.stdout.write = (() => true) as typeof process.stdout.write;
      const status = await main(['demo', '--out', dir, '--ledger', ledger, '--strength', String(s), '--guidance', String(w), '--samples', samples, '--json']);
      process.stdout.write = quiet;
      if (status !== 0) throw new Error(`demo exited with status ${status} (release ${k}, strength ${s}, guidance ${w})`);
      const r = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as DemoReport;
      const c = r.evaluation.classes;
      const f = r.evaluation.fid;
      if (c === undefined || f === undefined) throw new Error('the bundled pack has no classifier: nothing to measure');
      rows.get(key)?.kl.push(c.klLora / c.klBase);
      rows.get(key)?.fid.push(f.ratio);
    }
  }
  const fmt = (v: number[]): string => `${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3)} (${Math.min(...v).toFixed(3)}–${Math.max(...v).toFixed(3)})`;
  quiet([
    '',
    `bundled set, ε = 1, δ = 1e-5, ${releases} independent releases, ${samples} samples per side, pack default DDIM steps`,
    'strength  guidance  KL(LoRA)/KL(base) mean (min–max)  FID(LoRA)/FID(base) mean (min–max)',
    ...settings.map(({ s, w, key }) => `${String(s).padEnd(8)}  ${String(w).padEnd(8)}  ${fmt(rows.get(key)?.kl ?? []).padEnd(32)}  ${fmt(rows.get(key)?.fid ?? [])}`),
    '',
  ].join('\n'));
} finally {
  process.stdout.write = quiet;
  await rm(out, { recursive: true, force: true });
}
