// Several processes releasing at once on overlapping image sets never push any image past its budget,
// and every refusal is BUDGET_EXHAUSTED. The processes also race to create the ledger itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openLedger } from '../../src/dp/ledger.js';
import { delta, epsilon, rho } from '../../src/dp/types.js';
import { epsilonFromRho, rhoForEpsilon } from '../../src/dp/zcdp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/ledger-child.ts', import.meta.url));
const PROCESSES = 5;
const ATTEMPTS = 4;
const IMAGES = 6;

interface Outcome { ok: boolean; releaseId?: number; code?: string; message?: string }

// Bounded, generous: under heavy load the children wait for the ledger's lock (60 s each at most), but a stuck
// run must fail rather than hang the suite.
test(`${PROCESSES} processes releasing on overlapping sets never overspend any image`, { timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dp-ledger-race-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'ledger.sqlite');
  const budgetRho = rhoForEpsilon(epsilon(10), delta(1e-5));
  const releaseRho = budgetRho / 4; // each image can take exactly four charges; it is asked for twelve

  const children = Array.from({ length: PROCESSES }, (_, c) => {
    const seeds = [c, c + 1, c + 2].map((s) => s % IMAGES);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, 'race', db, JSON.stringify(seeds), String(ATTEMPTS), String(releaseRho), `p${c}`],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line === 'READY') resolve();
        else lines.push(line);
      });
      // A child that dies before READY (e.g. LEDGER_BUSY while the ledger is being created) fails the test
      // instead of leaving it waiting for a line that never comes.
      void exited.then((code) => reject(new Error(`child p${c} exited with ${String(code)} before READY; its stderr is above`)));
    });
    return { child, lines, ready, exited };
  });
  t.after(() => { for (const c of children) if (c.child.exitCode === null) c.child.kill(); });
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) c.child.stdin.end('go\n');
  const codes = await Promise.all(children.map((c) => c.exited));
  assert.deepEqual(codes, Array(PROCESSES).fill(0));

  const outcomes = children.flatMap((c) => c.lines.map((l) => JSON.parse(l) as Outcome));
  assert.equal(outcomes.length, PROCESSES * ATTEMPTS);
  const refused = outcomes.filter((o) => !o.ok);
  assert.ok(refused.length > 0, 'the budgets must actually run out for this test to mean anything');
  for (const r of refused) {
    assert.equal(r.code, 'BUDGET_EXHAUSTED');
    assert.match(r.message ?? '', /^release refused: it would charge ρ=/);
  }

  const sqlite = new Database(db, { readonly: true });
  t.after(() => sqlite.close());
  const releases = (sqlite.prepare('SELECT count(*) AS n FROM releases').get() as { n: number }).n;
  assert.equal(releases, outcomes.length - refused.length, 'every accepted release is stored, no refused one is');
  const perImage = sqlite.prepare(`SELECT i.rho_spent AS spent, sum(r.rho) AS charged, count(*) AS charges
    FROM charges c JOIN releases r USING (release_id) JOIN images i USING (image_row) GROUP BY c.image_row`).all() as Array<{ spent: number; charged: number; charges: number }>;
  // Which images got charged depends on who won the lock first (one set may exhaust three images and block
  // every other set), so only the invariants are asserted, not a particular schedule.
  assert.ok(perImage.length >= 3 && perImage.length <= IMAGES);
  for (const image of perImage) {
    assert.ok(image.charges <= 4, `an image took ${image.charges} charges of budget/4`);
    assert.ok(image.charged <= budgetRho, `sum of ρ ${image.charged} exceeds the budget ${budgetRho}`);
    assert.ok(image.spent >= image.charged, 'the running total never under-counts its charges');
    assert.ok(epsilonFromRho(rho(image.spent), delta(1e-5)) <= 10);
  }
  assert.ok(perImage.some((image) => image.charges === 4), 'some image used its whole budget');

  const ledger = openLedger(db);
  t.after(() => ledger.close());
  assert.equal(ledger.list().length, releases);
});
