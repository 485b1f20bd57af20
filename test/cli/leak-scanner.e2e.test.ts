/**
 * The leak scanner through the built CLI (issue 10): `generate --json` on private sets of n = 37 and n = 211
 * unique images (plus duplicates and unreadable files, in different numbers), and a refused replace-one run on
 * each. Everything public is captured: stdout (the --json summary or error), the report file, the LoRA's metadata,
 * the ledger's public listing, and every stderr line not marked local only. Every value must be equal between the
 * two runs except the noisy release's own (the noisy count and what is derived from it), and no value may be 37
 * or 211. The lines marked "[local only, do not share]" are exempt: they are this machine's terminal.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseSafetensors } from '../../src/lora/index.js';
import { LEAK_SETS, writeLeakSet } from '../bridge/make-leak-sets.js';
import { writeTestPack, type TestPack } from '../helpers/test-packs.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'dp-hyperlora.js');
const LOCAL_PREFIX = 'dp-hyperlora [local only, do not share]: ';
const SIZES: readonly number[] = LEAK_SETS.map((s) => s.n);
const NUMBER = /(?<![\d.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\d.])/gi;

let work: string;
let pack: TestPack;

before(async () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'src', 'cli', 'generate.js')), 'build first: npx tsc -p tsconfig.build.json');
  work = await mkdtemp(join(tmpdir(), 'dphl-leak-e2e-'));
  pack = await writeTestPack({ target: 'reference', dir: join(work, 'pack') });
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

function cli(cwd: string, args: readonly string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, DP_HYPERLORA_LOG: 'debug' } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function leaves(value: unknown, path: string, out: Map<string, unknown>): Map<string, unknown> {
  if (Array.isArray(value)) value.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) leaves(v, `${path}.${k}`, out);
  else out.set(path, value);
  return out;
}

/** How a run's public text may print its noisy count (a DP output) and σ_sum/(noisy n·C). */
function noisyStrings(privacy: { noisyCount: number; sigmaSum: number; clipNorm: number }): Set<string> {
  const n = Math.max(1, privacy.noisyCount);
  return new Set([String(Math.round(privacy.noisyCount)), privacy.noisyCount.toFixed(1), (privacy.sigmaSum / (n * privacy.clipNorm)).toPrecision(3)]);
}

const isNoisyPath = (p: string): boolean => /\.privacy\.noisyCount$|\.privacy\.noise\.(meanNoiseStdOverC|inRange)$/.test(p);
const WARNING_LINE = 'dp-hyperlora: warning: ';
const isWarning = (p: string): boolean => /\.warnings\[\d+\]$|\.noise\.warning$|\.warningLines\[\d+\]$/.test(p);

/** One run's public values (clock, keyed and noisy paths masked) and the strings of its noisy release. */
interface Capture { readonly values: Map<string, unknown>; readonly noisy: Set<string> }

async function capture(n: number): Promise<Capture> {
  const spec = LEAK_SETS.find((s) => s.n === n) as (typeof LEAK_SETS)[number];
  // The same folder for both runs (emptied in between), so paths on the terminal cannot differ.
  const dir = join(work, 'run');
  await rm(dir, { recursive: true, force: true });
  await writeLeakSet(join(dir, 'private'), spec);
  const common = ['--images', 'private', '--pack', pack.dir, '--epsilon', '0.05', '--delta', '1e-5', '--ledger', 'ledger.sqlite', '--on-unreadable', 'skip', '--json'];
  const ok = cli(dir, ['generate', ...common, '--out', 'out.safetensors']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stderr, new RegExp(`^${LOCAL_PREFIX.replace(/[[\]]/g, '\\$&')}${n} image\\(s\\) used`, 'm'), 'the local terminal does show n');
  const refused = cli(dir, ['generate', ...common, '--relation', 'replace-one', '--n', '5', '--out', 'refused.safetensors']);
  assert.equal(refused.status, 2, refused.stderr);
  const listed = cli(dir, ['ledger', 'list', '--ledger', 'ledger.sqlite', '--json']);
  assert.equal(listed.status, 0, listed.stderr);
  const publicLines = (s: string): string[] => s.split('\n').filter((l) => l !== '' && !l.startsWith(LOCAL_PREFIX) && !l.startsWith(WARNING_LINE));
  const warningLines = (s: string): string[] => s.split('\n').filter((l) => l.startsWith(WARNING_LINE)).map((l) => l.slice(WARNING_LINE.length));
  const stdout = JSON.parse(ok.stdout) as { result: { privacy: { noisyCount: number; sigmaSum: number; clipNorm: number } } };
  const captured = {
    stdout, reportFile: JSON.parse(await readFile(join(dir, 'out.report.json'), 'utf8')) as unknown,
    loraMetadata: parseSafetensors(await readFile(join(dir, 'out.safetensors'))).metadata ?? {},
    stderr: publicLines(ok.stderr), warningLines: warningLines(ok.stderr), refusedStdout: JSON.parse(refused.stdout) as unknown, refusedStderr: publicLines(refused.stderr),
    ledgerList: JSON.parse(listed.stdout) as unknown, ledgerListStderr: publicLines(listed.stderr),
  };
  const noisy = noisyStrings(stdout.result.privacy);
  const masked = new Map<string, unknown>();
  for (const [p, v] of leaves(captured, '$', new Map())) {
    // createdAt is the clock; `set` is a keyed hash under each ledger's own random key (it differs for equal sets).
    if (isNoisyPath(p) || /\.createdAt$|\.releases\[\d+\]\.set$/.test(p)) masked.set(p, '<noisy, clock or keyed>');
    else masked.set(p, v);
  }
  return { values: masked, noisy };
}

/**
 * Masks, inside strings, the numbers that equal a noisy value of EITHER run. Masking with one run's own noisy values
 * only would flake: a public constant (a LoRA rank of 4, say) that happens to equal one run's noisy count would be
 * masked in that run and not in the other.
 */
function maskNoisy(values: Map<string, unknown>, noisy: Set<string>): Map<string, unknown> {
  return new Map([...values].map(([p, v]) => [p, typeof v === 'string' ? v.replace(NUMBER, (m) => (noisy.has(m) ? '<noisy>' : m)) : v]));
}

test('nothing public differs between n = 37 and n = 211 except the noisy release, and neither number appears', { timeout: 300_000 }, async () => {
  const [ca, cb] = [await capture(SIZES[0] as number), await capture(SIZES[1] as number)];
  const noisy = new Set([...ca.noisy, ...cb.noisy]);
  const [a, b] = [maskNoisy(ca.values, noisy), maskNoisy(cb.values, noisy)];
  assert.ok(a.size > 40, `the scanner saw the public output (${a.size} values)`);
  for (const run of [a, b]) {
    for (const [p, v] of run) {
      const numbers = typeof v === 'number' ? [v] : typeof v === 'string' ? [...v.matchAll(NUMBER)].map((m) => Number(m[0])) : [];
      assert.ok(!numbers.some((x) => SIZES.includes(Math.abs(x))), `${p} = ${JSON.stringify(v)} shows a set size`);
    }
  }
  // Whether the "noise outside the trained range" warning shows is post-processing of the noisy count; its text
  // (noisy numbers masked) must be the same whenever it shows.
  const warnings = new Set([...a, ...b].filter(([p]) => isWarning(p)).map(([, v]) => String(v)));
  assert.ok(warnings.size <= 1, [...warnings].join('\n'));
  const strip = (m: Map<string, unknown>): Map<string, unknown> => new Map([...m].filter(([p]) => !isWarning(p)));
  const [sa, sb] = [strip(a), strip(b)];
  const differing = [...new Set([...sa.keys(), ...sb.keys()])].filter((p) => sa.get(p) !== sb.get(p));
  assert.deepEqual(differing.map((p) => `${p}: ${JSON.stringify(sa.get(p))} vs ${JSON.stringify(sb.get(p))}`), []);
});
