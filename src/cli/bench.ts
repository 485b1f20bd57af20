/**
 * `dp-hyperlora bench [NAME...]`: runs the benchmark scripts under bench/ one after another, each in its own
 * process (so one benchmark's memory does not skew the next one's RSS figures), and passes their output through.
 * TypeScript benchmarks run from the compiled dist/bench; Python ones (the bridge) with Debian's python3.
 * Benchmarks print ratios measured side by side in one run; they are never timed tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { DpHyperLoraError } from '../errors.js';
import type { RegisterCommand } from './commands.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A runnable benchmark: its name (file name without extension) and how to start it. */
interface Benchmark { readonly name: string; readonly command: string; readonly args: readonly string[] }

function listBenchmarks(): Benchmark[] {
  const out: Benchmark[] = [];
  for (const file of readdirSync(join(root, 'bench'))) {
    const m = /^([a-z0-9-]+)\.(ts|py)$/.exec(file);
    if (!m?.[1]) continue; // helper modules (e.g. bridge_bench_host.py) are not benchmarks
    const name = m[1];
    if (m[2] === 'ts') out.push({ name, command: process.execPath, args: [join(root, 'dist', 'bench', `${name}.js`)] });
    else out.push({ name, command: '/usr/bin/python3', args: [join(root, 'bench', file)] });
  }
  // By name, not file name: "demo" before "demo-strength" (as files, "demo-strength.ts" sorts first).
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export const registerBench: RegisterCommand = (program: Command, setStatus) => {
  program.command('bench')
    .description('Run the benchmarks under bench/ (all, or the ones named); each prints ratios measured side by side.')
    .argument('[names...]', 'benchmarks to run (default: all); see --list')
    .option('--list', 'list the benchmarks and exit')
    .action((names: string[], opts: { list?: boolean }) => {
      const all = listBenchmarks();
      if (opts.list) { process.stdout.write(`${all.map((b) => b.name).join('\n')}\n`); return; }
      const unknown = names.filter((n) => !all.some((b) => b.name === n));
      if (unknown.length > 0) {
        throw new DpHyperLoraError('INVALID_ARGUMENT', `unknown benchmark(s): ${unknown.join(', ')}. Known: ${all.map((b) => b.name).join(', ')}.`);
      }
      let failed = 0;
      for (const b of names.length > 0 ? all.filter((x) => names.includes(x.name)) : all) {
        if (!existsSync(b.args[0] ?? '')) {
          throw new DpHyperLoraError('INVALID_ARGUMENT', `benchmark "${b.name}" is not built (${b.args[0]} is missing). Run \`npm run build\` first.`);
        }
        process.stdout.write(`\n## bench ${b.name}\n`);
        const r = spawnSync(b.command, b.args, { cwd: root, stdio: 'inherit' });
        if (r.status !== 0) { failed += 1; process.stderr.write(`bench ${b.name} failed (exit ${r.status ?? r.signal})\n`); }
      }
      setStatus(failed > 0 ? 1 : 0);
    });
};
