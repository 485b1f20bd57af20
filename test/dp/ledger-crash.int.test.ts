// A release killed with SIGKILL at every step never leaves the ledger under-counted: any value the caller
// could have seen is charged, and a repeat afterwards is consistent (free if the charge committed, charged
// once if it did not). The child is test/dp/fixtures/ledger-child.ts, which stops at the step named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openLedger, type ImageId } from '../../src/dp/ledger.js';
import { rho } from '../../src/dp/types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/ledger-child.ts', import.meta.url));
const RHO = 0.5;
const PARAMS = { epsilon: 1, delta: 1e-5, test: 'crash' };

interface ChildRun {
  lines: string[];
  signal: NodeJS.Signals | null;
}

/** Runs one child release; SIGKILLs it as soon as it reports `killAt` (or lets it finish when null). */
function runChild(db: string, ids: ImageId[], pauseAt: string, killAt: string | null): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, 'crash', db, pauseAt, JSON.stringify(ids), '1', String(RHO)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child never reached ${killAt ?? 'its end'}; saw ${lines.join(' | ')}`));
    }, 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (killAt !== null && line === `STEP ${killAt}`) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve({ lines, signal });
    });
  });
}

const STEPS = ['before-begin', 'after-budget-check', 'in-compute', 'after-insert', 'after-commit'] as const;

for (const step of [...STEPS, null]) {
  test(`killed ${step === null ? 'after the release returned' : `at ${step}`}: never under-counted, repeats consistent`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'dp-ledger-crash-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const db = join(dir, 'ledger.sqlite');
    let ledger = openLedger(db);
    const ids = [1, 2, 3].map((i) => ledger.identify(Uint8Array.from([i, i, i]), 1, 1, 3));
    ledger.close();

    const run = await runChild(db, ids, step ?? 'never', step);
    const valueLine = run.lines.find((l) => l.startsWith('VALUE '));
    if (step === null) {
      assert.equal(run.signal, null);
      assert.ok(valueLine, `the finished child printed its value: ${run.lines.join(' | ')}`);
    } else {
      assert.equal(run.signal, 'SIGKILL');
      assert.equal(run.lines.at(-1), `STEP ${step}`, 'killed exactly at the step');
      assert.equal(valueLine, undefined, 'a child killed inside the release never saw a value');
    }

    ledger = openLedger(db);
    t.after(() => ledger.close());
    const committed = step === 'after-commit' || step === null;
    const releases = ledger.list();
    assert.equal(releases.length, committed ? 1 : 0);
    assert.equal(ledger.budget().mostSpentImage.spentRho, committed ? RHO : 0);
    if (valueLine !== undefined) {
      // The invariant itself: what the caller observed is charged, and stored as it was observed.
      assert.ok(ledger.budget().mostSpentImage.spentRho >= RHO);
      assert.deepEqual(ledger.show(releases[0]?.releaseId ?? -1).value, JSON.parse(valueLine.slice('VALUE '.length)));
    }

    const repeat = await ledger.release({ imageIds: ids, params: PARAMS, releaseNumber: 1, rho: rho(RHO), compute: () => ({ noise: 'parent' }) });
    assert.equal(repeat.charged, !committed);
    if (committed) assert.deepEqual(repeat.value, ledger.show(repeat.releaseId).value);
    else assert.deepEqual(repeat.value, { noise: 'parent' });
    assert.equal(ledger.list().length, 1);
    assert.equal(ledger.budget().mostSpentImage.spentRho, RHO, 'after the repeat every image is charged exactly once');
  });
}
