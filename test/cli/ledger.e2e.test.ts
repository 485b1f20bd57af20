// End-to-end: the built CLI (`npx tsc -p tsconfig.build.json` first) on a ledger made by the library.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLedger } from '../../src/dp/ledger.js';
import { delta, epsilon, rho } from '../../src/dp/types.js';
import { epsilonFromRho, rhoForEpsilon } from '../../src/dp/zcdp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'dp-hyperlora.js');

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DP_HYPERLORA_LOG: 'warn', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(args: string[], env: NodeJS.ProcessEnv = {}): unknown {
  const r = cli([...args, '--json'], env);
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

const P1 = { epsilon: 1, delta: 1e-5, relation: 'add-remove', clipNorm: 1, pack: 'reference-fmnist@1' };
const P2 = { ...P1, epsilon: 2 };

test('ledger list, show and budget on a real ledger', async (t) => {
  assert.ok(existsSync(join(ROOT, 'dist', 'src', 'cli', 'ledger.js')), 'build first: npx tsc -p tsconfig.build.json');
  const dir = mkdtempSync(join(tmpdir(), 'dp-ledger-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'ledger.sqlite');
  const ledger = openLedger(path);
  const ids = Array.from({ length: 7 }, (_, i) => ledger.identify(Uint8Array.from([i, 1, 2]), 1, 1, 3));
  const r1 = await ledger.release({ imageIds: ids, params: P1, releaseNumber: 1, rho: rho(0.25), compute: () => ({ mean: [0.125, -2] }) });
  const r2 = await ledger.release({ imageIds: ids.slice(0, 3), params: P2, releaseNumber: 2, rho: rho(1), compute: () => ({ mean: [4] }) });
  ledger.close();
  const eps = (r: number): number => epsilonFromRho(rho(r), delta(1e-5));

  const list = json(['ledger', 'list', '--ledger', path]) as { ledger: string; exists: boolean; releases: Array<Record<string, unknown>> };
  assert.equal(list.ledger, path);
  assert.equal(list.exists, true);
  assert.deepEqual(list.releases.map((r) => ({ ...r, createdAt: '', set: '' })), [
    { releaseId: r1.releaseId, createdAt: '', releaseNumber: 1, params: P1, rho: 0.25, epsilon: eps(0.25), delta: 1e-5, set: '' },
    { releaseId: r2.releaseId, createdAt: '', releaseNumber: 2, params: P2, rho: 1, epsilon: eps(1), delta: 1e-5, set: '' },
  ]);
  assert.notEqual(list.releases[0]?.set, list.releases[1]?.set, 'different sets have different fingerprints');
  assert.deepEqual(json(['ledger', 'list'], { DP_HYPERLORA_LEDGER: path }), list, 'DP_HYPERLORA_LEDGER is the default path');

  const human = cli(['ledger', 'list', '--ledger', path]);
  assert.equal(human.status, 0);
  assert.match(human.stdout, /^ledger .*\nid +time +release +ρ +ε at δ=0\.00001 +set +parameters\n1 +\S+ +#1 +0\.25 /);
  assert.match(human.stdout, /Set sizes are not shown: under add\/remove they are private\.\n$/);

  const shown = json(['ledger', 'show', String(r1.releaseId), '--ledger', path]) as { release: Record<string, unknown> };
  assert.deepEqual(shown.release.value, { mean: [0.125, -2] });
  assert.deepEqual(shown.release.params, P1);

  const missing = cli(['ledger', 'show', '99', '--ledger', path]);
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr, `dp-hyperlora: error [INVALID_ARGUMENT]: no release with id 99 in the ledger at ${path}. Run node "${BIN}" ledger list to see the ids.\n`);

  const budget = json(['ledger', 'budget', '--ledger', path]) as Record<string, unknown>;
  const budgetRho = rhoForEpsilon(epsilon(10), delta(1e-5));
  assert.deepEqual(budget, {
    ledger: path, exists: true, previous: null, budget: { epsilon: 10, delta: 1e-5 }, budgetRho, releaseCount: 2,
    mostSpentImage: { spentRho: 1.25, spentEpsilon: eps(1.25), remaining: { epsilon: eps(budgetRho - 1.25), delta: 1e-5, rho: budgetRho - 1.25 } },
  });

  const changed = json(['ledger', 'budget', '--epsilon', '4', '--delta', '1e-6', '--ledger', path]) as Record<string, unknown>;
  assert.deepEqual(changed.previous, { epsilon: 10, delta: 1e-5 });
  assert.deepEqual(changed.budget, { epsilon: 4, delta: 1e-6 });
  const reopened = openLedger(path, { create: false });
  assert.deepEqual(reopened.budget().budget, { epsilon: 4, delta: 1e-6 }, 'the new budget is stored');
  reopened.close();

  const half = cli(['ledger', 'budget', '--epsilon', '4', '--ledger', path]);
  assert.equal(half.status, 2);
  assert.equal(half.stderr, 'dp-hyperlora: error [INVALID_ARGUMENT]: give --epsilon and --delta together: a budget is a pair (ε, δ).\n');
  const bad = cli(['ledger', 'budget', '--epsilon', 'abc', '--delta', '1', '--ledger', path]);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'dp-hyperlora: error [INVALID_ARGUMENT]: --epsilon must be a number, got "abc"; --delta must be < 1 (e.g. 1e-5).\n');
});

test('ledger commands on a missing, keyless or corrupt ledger', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dp-ledger-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const absent = join(dir, 'absent.sqlite');
  assert.deepEqual(json(['ledger', 'list', '--ledger', absent]), { ledger: absent, exists: false, releases: [] });
  assert.equal((json(['ledger', 'budget', '--ledger', absent]) as { exists: boolean }).exists, false);
  assert.equal(existsSync(absent), false, 'reading never creates a ledger');
  const show = cli(['ledger', 'show', '1', '--ledger', absent]);
  assert.equal(show.status, 2);
  assert.match(show.stderr, /^dp-hyperlora: error \[INVALID_ARGUMENT\]: no ledger exists at /);

  const created = json(['ledger', 'budget', '--epsilon', '3', '--delta', '1e-5', '--ledger', absent]) as Record<string, unknown>;
  assert.equal(created.exists, true);
  assert.equal(created.previous, null);
  assert.deepEqual(created.budget, { epsilon: 3, delta: 1e-5 });
  rmSync(`${absent}.key`);
  const keyless = cli(['ledger', 'list', '--ledger', absent, '--json']);
  assert.equal(keyless.status, 4);
  assert.equal((JSON.parse(keyless.stdout) as { error: { code: string } }).error.code, 'LEDGER_KEY_MISSING');

  const corrupt = join(dir, 'corrupt.sqlite');
  writeFileSync(corrupt, 'this is not a database, just some text that is long enough to look like a header......');
  const r = cli(['ledger', 'budget', '--ledger', corrupt]);
  assert.equal(r.status, 4);
  assert.match(r.stderr, /^dp-hyperlora: error \[LEDGER_CORRUPT\]: the ledger at .* is not a readable SQLite database/);
});
