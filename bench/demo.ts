/**
 * `dp-hyperlora demo` end to end (target: ≤ 30 s on a 2-core CPU), in this process, with its stages side by side:
 *
 *   node --import tsx bench/demo.ts [--samples N] [--steps S]
 *
 * Prints wall time, CPU time (user + system; on a machine shared with other work the wall time overstates what
 * an idle machine needs, CPU time does not), the load average during the run, and the split between the
 * sampling of the evaluation and the rest. The personalisation's own timings are private (they grow with n), so the
 * demo shows them only on stderr, in its "[local only]" lines, which appear above this bench's summary.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import type { DemoReport } from '../src/cli/demo.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const out = await mkdtemp(join(tmpdir(), 'dphl-bench-demo-'));
try {
  const extra = [...(arg('--samples') ? ['--samples', arg('--samples') as string] : []), ...(arg('--steps') ? ['--steps', arg('--steps') as string] : [])];
  const load0 = loadavg()[0] ?? 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const status = await main(['demo', '--out', join(out, 'demo'), ...extra]);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const load1 = loadavg()[0] ?? 0;
  if (status !== 0) throw new Error(`demo exited with status ${status}`);
  const report = JSON.parse(await readFile(join(out, 'demo', 'report.json'), 'utf8')) as DemoReport;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const samplingMs = report.evaluation.samplingMs;
  process.stdout.write([
    '',
    `demo end to end: ${(wallMs / 1000).toFixed(1)} s wall, ${(cpuMs / 1000).toFixed(1)} s CPU (${availableParallelism()} cores; load average ${load0.toFixed(1)} → ${load1.toFixed(1)})`,
    `  sampling ${report.evaluation.samplesPerSide}×2 images × ${report.evaluation.steps} steps ${(samplingMs / 1000).toFixed(1)} s (${((100 * samplingMs) / wallMs).toFixed(0)}%), ` +
      `rest (start-up, personalisation, FID, PNG, files) ${((wallMs - samplingMs) / 1000).toFixed(1)} s`,
    `  target ≤ 30 s: wall/30 s = ${(wallMs / 30_000).toFixed(2)}, CPU/(2 cores × 30 s) = ${(cpuMs / 60_000).toFixed(2)}`,
    report.evaluation.fid !== undefined
      ? `  FID base ${report.evaluation.fid.base.toFixed(2)}, with DP LoRA ${report.evaluation.fid.lora.toFixed(2)} (ratio ${report.evaluation.fid.ratio.toFixed(3)})`
      : `  ${report.evaluation.note ?? ''}`,
    '',
  ].join('\n'));
} finally {
  await rm(out, { recursive: true, force: true });
}
