// End-to-end: the built CLI's calculators (`npx tsc -p tsconfig.build.json` first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'dp-hyperlora.js');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DP_HYPERLORA_LOG: 'warn' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(args: string[]): Record<string, unknown> {
  const r = cli([...args, '--json']);
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function near(actual: unknown, expected: number, rel = 1e-6): void {
  assert.equal(typeof actual, 'number');
  assert.ok(Math.abs((actual as number) - expected) <= rel * Math.abs(expected), `${String(actual)} vs ${expected}`);
}

test('built CLI is present', () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'src', 'cli', 'calibrate.js')), 'build first: npx tsc -p tsconfig.build.json');
});

test('calibrate --epsilon 1 --delta 1e-5 --json: σ = 3.730632 (analytic Gaussian), classic only for comparison', () => {
  const out = json(['calibrate', '--epsilon', '1', '--delta', '1e-5']);
  near(out.sigma, 3.73063163481594);
  assert.equal(out.mechanism, 'analytic-gaussian');
  near(out.classicSigmaForComparison, 4.84480526260539);
  assert.equal(out.releases, 1);
  assert.equal(out.sensitivity, 1);
});

test('calibrate --releases 5: per-release σ = √5·3.730632; --sensitivity scales it', () => {
  near(json(['calibrate', '--epsilon', '1', '--delta', '1e-5', '--releases', '5']).sigma, 8.34194593445962);
  near(json(['calibrate', '--epsilon', '1', '--delta', '1e-5', '--sensitivity', '2']).sigma, 2 * 3.73063163481594);
});

test('calibrate --mechanism discrete-gaussian shows the (larger) σ real releases use', () => {
  const out = json(['calibrate', '--epsilon', '1', '--delta', '1e-5', '--mechanism', 'discrete-gaussian']);
  assert.equal(out.mechanism, 'discrete-gaussian');
  const ratio = (out.sigma as number) / 3.73063163481594;
  assert.ok(ratio > 1.07 && ratio < 1.1, `ratio ${ratio}`);
});

test('account --sigma 2,4,4 --delta 1e-5 --json: ε = 2.501740; --releases K applies to each σ', () => {
  const out = json(['account', '--sigma', '2,4,4', '--delta', '1e-5']);
  near(out.epsilon, 2.50173997873204);
  assert.equal(out.mechanism, 'analytic-gaussian');
  near(out.sigmaEffective, 1.632993162);
  // σ = 10 released 100 times ≡ σ = 1 once (dp.md §8): 4.37717809568.
  near(json(['account', '--sigma', '10', '--delta', '1e-5', '--releases', '100']).epsilon, 4.37717809568);
  // [2, 4, 4] each twice = μ·√2.
  near(json(['account', '--sigma', '2,4,4', '--delta', '1e-5', '--releases', '2']).mu, 0.6123724356957945 * Math.SQRT2);
  // The zCDP figure is larger (looser) than the exact one.
  assert.ok((json(['account', '--sigma', '2,4,4', '--delta', '1e-5', '--mechanism', 'discrete-gaussian']).epsilon as number) > 2.6);
});

test('bad arguments exit non-zero and say what to fix (every problem at once)', () => {
  const cases: ReadonlyArray<readonly [string[], RegExp]> = [
    [['calibrate', '--epsilon', '-1', '--delta', '1e-5'], /--epsilon must be > 0/],
    [['calibrate', '--epsilon', '1', '--delta', '1'], /--delta must be < 1/],
    [['calibrate', '--epsilon', '1', '--delta', '0'], /--delta must be > 0: a Gaussian mechanism cannot give delta = 0/],
    [['calibrate', '--delta', '1e-5'], /--epsilon is required/],
    [['calibrate'], /--epsilon is required; --delta is required/],
    [['calibrate', '--epsilon', 'x', '--delta', '1e-5'], /--epsilon must be a number, got "x"/],
    [['calibrate', '--epsilon', '1', '--delta', '1e-5', '--releases', '0'], /--releases must be at least 1/],
    [['calibrate', '--epsilon', '1', '--delta', '1e-5', '--mechanism', 'laplace'], /--mechanism must be analytic-gaussian/],
    [['account', '--delta', '1e-5'], /--sigma is required/],
    [['account', '--sigma', '2,-1', '--delta', '1e-5'], /--sigma values must be numbers > 0, got "-1"/],
    [['account', '--sigma', '2', '--delta', '2', '--sensitivity', '0'], /--delta must be < 1.*--sensitivity must be > 0/],
  ];
  for (const [args, message] of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}`);
    assert.match(r.stderr, /error \[INVALID_ARGUMENT\]/);
    assert.match(r.stderr, message, args.join(' '));
  }
  const j = cli(['calibrate', '--epsilon', '0', '--delta', '1e-5', '--json']);
  assert.equal(j.status, 2);
  const err = (JSON.parse(j.stdout) as { error: { code: string; message: string } }).error;
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.match(err.message, /--epsilon must be > 0/);
});
