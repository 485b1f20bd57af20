import { test } from 'node:test';
import { cliInvocation } from '../../src/cli-invocation.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DEFAULT_BUDGET, openLedger, type ImageId, type Ledger } from '../../src/dp/ledger.js';
import { LEDGER_APPLICATION_ID } from '../../src/dp/ledger-store.js';
import { epsilonFromRho, rhoForEpsilon } from '../../src/dp/zcdp.js';
import { delta, epsilon, rho, type Rho } from '../../src/dp/types.js';
import { isDpError } from '../../src/errors.js';

function tempLedger(t: { after: (fn: () => void) => void }): { ledger: Ledger; path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dp-ledger-'));
  const path = join(dir, 'ledger.sqlite');
  const ledger = openLedger(path);
  t.after(() => {
    ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { ledger, path, dir };
}

function images(ledger: Ledger, count: number, salt = 0): ImageId[] {
  return Array.from({ length: count }, (_, i) => ledger.identify(Uint8Array.from([i, salt, 7, 1, 2, 3]), 2, 1, 3));
}

const PARAMS = { epsilon: 1, delta: 1e-5, relation: 'add-remove', clipNorm: 1, pack: 'reference-fmnist@1' };

test('a new ledger has a 0600 key, its application id, and the default budget', (t) => {
  const { ledger, path } = tempLedger(t);
  const keyStat = statSync(`${path}.key`);
  assert.equal(keyStat.mode & 0o777, 0o600);
  assert.equal(keyStat.size, 32);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma('application_id', { simple: true }), LEDGER_APPLICATION_ID);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
  const report = ledger.budget();
  assert.deepEqual(report.budget, { epsilon: 10, delta: 1e-5 });
  assert.deepEqual(DEFAULT_BUDGET, { epsilon: 10, delta: 1e-5 });
  assert.equal(report.budgetRho, rhoForEpsilon(epsilon(10), delta(1e-5)));
  assert.equal(report.mostSpentImage.spentRho, 0);
  assert.equal(report.releaseCount, 0);
});

test('a release charges every image; an identical repeat returns the stored value and costs nothing', async (t) => {
  const { ledger } = tempLedger(t);
  const ids = images(ledger, 3);
  let calls = 0;
  const compute = (): { mean: number[] } => {
    calls += 1;
    return { mean: [calls + 0.25, -1.5] };
  };
  const first = await ledger.release({ imageIds: ids, params: PARAMS, releaseNumber: 1, rho: rho(0.25), compute });
  assert.equal(first.charged, true);
  assert.deepEqual(first.value, { mean: [1.25, -1.5] });
  assert.equal(first.rhoCharged, 0.25);
  assert.equal(first.epsilonCharged, epsilonFromRho(rho(0.25), delta(1e-5)));
  const budgetRho = rhoForEpsilon(epsilon(10), delta(1e-5));
  assert.equal(first.remaining.rho, budgetRho - 0.25);
  assert.equal(first.remaining.epsilon, epsilonFromRho(rho(budgetRho - 0.25), delta(1e-5)));

  const reordered = { ...PARAMS };
  const repeat = await ledger.release({ imageIds: [ids[2], ids[0], ids[1]] as ImageId[], params: reordered, releaseNumber: 1, rho: rho(0.25), compute });
  assert.deepEqual(repeat, { ...first, charged: false, rhoCharged: 0, epsilonCharged: 0 });
  assert.equal(calls, 1, 'compute must not run for a repeat');
  assert.equal(ledger.budget().mostSpentImage.spentRho, 0.25);

  const bumped = await ledger.release({ imageIds: ids, params: PARAMS, releaseNumber: 2, rho: rho(0.25), compute });
  assert.equal(bumped.charged, true);
  assert.deepEqual(bumped.value, { mean: [2.25, -1.5] });
  assert.notEqual(bumped.releaseId, first.releaseId);
  const otherParams = await ledger.release({ imageIds: ids, params: { ...PARAMS, epsilon: 2 }, releaseNumber: 1, rho: rho(0.25), compute });
  assert.equal(otherParams.charged, true);
  const subset = await ledger.release({ imageIds: ids.slice(0, 2), params: PARAMS, releaseNumber: 1, rho: rho(0.25), compute });
  assert.equal(subset.charged, true, 'another set is another release');
  assert.equal(ledger.budget().mostSpentImage.spentRho, 1);
  assert.equal(ledger.list().length, 4);
});

test('a release that would exceed a budget is refused before compute, charging nothing', async (t) => {
  const { ledger, path } = tempLedger(t);
  const [a, b] = images(ledger, 2);
  await ledger.release({ imageIds: [a as ImageId], params: PARAMS, releaseNumber: 1, rho: rho(1.5), compute: () => ({ v: 1 }) });
  let computed = false;
  const attempt = (): Promise<unknown> => ledger.release({
    imageIds: [a as ImageId, b as ImageId], params: PARAMS, releaseNumber: 2, rho: rho(0.3), compute: () => { computed = true; return { v: 2 }; },
  });
  const remaining = epsilonFromRho(rho(rhoForEpsilon(epsilon(10), delta(1e-5)) - 1.5), delta(1e-5));
  const required = epsilonFromRho(rho(1.8), delta(1e-5));
  assert.ok(required > 10 && required < 10.1, `required ε ${required}`);
  await assert.rejects(attempt(), (e: unknown) => {
    assert.ok(isDpError(e, 'BUDGET_EXHAUSTED'));
    assert.equal(e.message,
      `release refused: it would charge ρ=0.3 (ε=${Number(epsilonFromRho(rho(0.3), delta(1e-5)).toPrecision(4))} at δ=0.00001) to every image of the set, `
      + `but the most-spent image in the set has room left for at most ε=${Number(remaining.toPrecision(4))} at δ=0.00001 within its budget ε=10 at δ=0.00001. `
      + 'Nothing was charged and no noisy value was computed. Release with a smaller ε, repeat an earlier release (same images, parameters and '
      + 'release number; it costs nothing), or raise the per-image budget, which weakens the guarantee for every image in the ledger: '
      + `${cliInvocation()} ledger budget --epsilon 10.1 --delta 0.00001 --ledger "${path}"`);
    assert.equal(e.details?.remainingEpsilon, remaining);
    return true;
  });
  assert.equal(computed, false);
  assert.equal(ledger.list().length, 1);
  assert.equal(ledger.budget().mostSpentImage.spentRho, 1.5);

  // The command in the message is enough: with that budget the same release fits.
  await ledger.setBudget({ epsilon: 10.1, delta: 1e-5 });
  const outcome = await attempt();
  assert.equal((outcome as { charged: boolean }).charged, true);
  assert.equal(computed, true);
});

test('a release of exactly the whole budget fits, and nothing more does', async (t) => {
  const { ledger } = tempLedger(t);
  const [a] = images(ledger, 1);
  const whole = rhoForEpsilon(epsilon(10), delta(1e-5));
  const out = await ledger.release({ imageIds: [a as ImageId], params: PARAMS, releaseNumber: 1, rho: whole, compute: () => 1 });
  assert.equal(out.remaining.rho, 0);
  assert.equal(out.remaining.epsilon, 0);
  await assert.rejects(ledger.release({ imageIds: [a as ImageId], params: PARAMS, releaseNumber: 2, rho: rho(1e-9), compute: () => 2 }),
    (e: unknown) => isDpError(e, 'BUDGET_EXHAUSTED'));
});

test('if compute throws or returns non-JSON, nothing is charged or stored and the next call computes afresh', async (t) => {
  const { ledger } = tempLedger(t);
  const ids = images(ledger, 2);
  const boom = new Error('sampler failed');
  await assert.rejects(ledger.release({ imageIds: ids, params: PARAMS, releaseNumber: 1, rho: rho(0.5), compute: () => { throw boom; } }), (e) => e === boom);
  await assert.rejects(ledger.release({ imageIds: ids, params: PARAMS, releaseNumber: 1, rho: rho(0.5), compute: async () => Promise.reject(boom) }), (e) => e === boom);
  await assert.rejects(ledger.release({ imageIds: ids, params: PARAMS, releaseNumber: 1, rho: rho(0.5), compute: () => ({ v: Number.NaN }) }),
    (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') && e.message.startsWith('the release value returned by compute must be plain JSON: $.v is NaN.'));
  assert.equal(ledger.list().length, 0);
  assert.equal(ledger.budget().mostSpentImage.spentRho, 0);
  const ok = await ledger.release({ imageIds: ids, params: PARAMS, releaseNumber: 1, rho: rho(0.5), compute: () => ({ v: 3 }) });
  assert.equal(ok.charged, true);
  assert.deepEqual(ok.value, { v: 3 });
});

test('a malformed request is refused with every problem listed', async (t) => {
  const { ledger } = tempLedger(t);
  const [a] = images(ledger, 1);
  await assert.rejects(ledger.release({
    imageIds: [a as ImageId, a as ImageId, 'x' as ImageId], params: { when: undefined as unknown as string }, releaseNumber: 0, rho: -1 as Rho, compute: () => 1,
  }), (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') && e.message === 'invalid release request: '
    + 'every image id must be 64 lowercase hex digits, as made by Ledger.identify(); '
    + 'the set holds the same image (identical pixels) more than once; remove duplicates, because a repeated image would spend more privacy than one charge covers; '
    + 'releaseNumber must be an integer >= 1, got 0; rho must be a finite number > 0, got -1; '
    + 'release parameters must be plain JSON: $.when is undefined. Use finite numbers, strings, booleans, null, arrays (Array.from for typed arrays) and plain objects..');
  await assert.rejects(ledger.release({ imageIds: [], params: {}, releaseNumber: 1, rho: rho(1), compute: () => 1 }),
    (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') && e.message === 'invalid release request: imageIds must list at least one image id.');
  // An untyped JavaScript caller passing one id instead of a list gets the list problem only (no id is made up).
  await assert.rejects(ledger.release({ imageIds: a as unknown as ImageId[], params: {}, releaseNumber: 1, rho: rho(1), compute: () => 1 }),
    (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') && e.message === 'invalid release request: imageIds must list at least one image id.');
});

test('concurrent releases in one process, on one or two Ledger objects, are serialised and all charged', async (t) => {
  const { ledger, path } = tempLedger(t);
  const second = openLedger(path);
  t.after(() => second.close());
  const ids = images(ledger, 4);
  const slow = async (v: number): Promise<{ v: number }> => {
    await new Promise((r) => setTimeout(r, 5));
    return { v };
  };
  const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? ledger : second).release({
    imageIds: ids, params: { i }, releaseNumber: 1, rho: rho(0.125), compute: () => slow(i),
  })));
  assert.deepEqual(outcomes.map((o) => o.charged), Array(8).fill(true));
  assert.equal(new Set(outcomes.map((o) => o.releaseId)).size, 8);
  assert.equal(ledger.budget().mostSpentImage.spentRho, 1);
});

test('list, show and budget report parameters and aggregates, never a set size', async (t) => {
  const { ledger } = tempLedger(t);
  const ids = images(ledger, 5);
  const r = await ledger.release({ imageIds: ids, params: PARAMS, releaseNumber: 3, rho: rho(0.5), compute: () => ({ mean: [0.5] }) });
  const [summary] = ledger.list();
  assert.ok(summary);
  assert.deepEqual(Object.keys(summary).sort(), ['createdAt', 'delta', 'epsilon', 'params', 'releaseId', 'releaseNumber', 'rho', 'set']);
  assert.deepEqual({ ...summary, createdAt: '' }, {
    releaseId: r.releaseId, createdAt: '', releaseNumber: 3, params: PARAMS, rho: 0.5,
    epsilon: epsilonFromRho(rho(0.5), delta(1e-5)), delta: 1e-5, set: summary.set,
  });
  assert.match(summary.set, /^[0-9a-f]{12}$/);
  assert.ok(!Number.isNaN(Date.parse(summary.createdAt)));
  assert.deepEqual(ledger.show(r.releaseId), { ...summary, value: { mean: [0.5] } });
  assert.throws(() => ledger.show(99), (e: unknown) => isDpError(e, 'INVALID_ARGUMENT')
    && e.message === `no release with id 99 in the ledger at ${ledger.path}. Run ${cliInvocation()} ledger list to see the ids.`);
  const report = ledger.budget();
  assert.equal(report.releaseCount, 1);
  assert.equal(report.mostSpentImage.spentRho, 0.5);
  assert.equal(report.mostSpentImage.spentEpsilon, epsilonFromRho(rho(0.5), delta(1e-5)));
});

test('setBudget validates, persists, and a lower budget stops further releases', async (t) => {
  const { ledger, path } = tempLedger(t);
  const ids = images(ledger, 2);
  await ledger.release({ imageIds: ids, params: PARAMS, releaseNumber: 1, rho: rho(0.5), compute: () => 1 });
  await assert.rejects(ledger.setBudget({ epsilon: -1, delta: 1e-5 }), (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') && e.message.startsWith('epsilon must be a finite number >= 0, got -1'));
  await assert.rejects(ledger.setBudget({ epsilon: 1, delta: 1 }), (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') && e.message.startsWith('delta must be strictly between 0 and 1, got 1'));
  await assert.rejects(ledger.setBudget({ epsilon: 0, delta: 1e-5 }), (e: unknown) => isDpError(e, 'INVALID_ARGUMENT'));
  const report = await ledger.setBudget({ epsilon: 2, delta: 1e-6 });
  assert.deepEqual(report.budget, { epsilon: 2, delta: 1e-6 });
  assert.equal(report.mostSpentImage.remaining.rho, 0, 'ρ=0.5 already exceeds (2, 1e-6)');
  const reopened = openLedger(path);
  assert.deepEqual(reopened.budget().budget, { epsilon: 2, delta: 1e-6 });
  reopened.close();
  await assert.rejects(ledger.release({ imageIds: ids, params: PARAMS, releaseNumber: 2, rho: rho(0.01), compute: () => 1 }), (e: unknown) => isDpError(e, 'BUDGET_EXHAUSTED'));
  const repeat = await ledger.release({ imageIds: ids, params: PARAMS, releaseNumber: 1, rho: rho(0.5), compute: () => 2 });
  assert.equal(repeat.charged, false, 'a repeat stays free after the budget is lowered');
});

test('the database never holds an image path, name or pixels', async (t) => {
  const { ledger, path, dir } = tempLedger(t);
  const secretName = 'holiday-photo-of-alice-4711.png';
  const imagePath = join(dir, 'private-folder', secretName);
  const pixels = Uint8Array.from(Buffer.from('PIXELSECRET-PIXELSECRET-PIXELSECRET', 'latin1'));
  const id = ledger.identify(pixels.subarray(0, 33), 11, 1, 3);
  const other = ledger.identify(Uint8Array.from(Buffer.from(imagePath.slice(0, 3 * 4), 'latin1')), 4, 1, 3);
  await ledger.release({ imageIds: [id, other], params: PARAMS, releaseNumber: 1, rho: rho(0.1), compute: () => ({ v: 1 }) });
  ledger.close();
  const bytes = Buffer.concat([readFileSync(path), readFileSync(`${path}.key`)]);
  for (const needle of [secretName, 'holiday-photo', 'private-folder', imagePath, dir, 'PIXELSECRET', id]) {
    assert.equal(bytes.indexOf(Buffer.from(needle, 'latin1')), -1, `found ${needle} in the ledger files`);
  }
});

test('every image of a multi-image set is charged, whatever its position in the set', async (t) => {
  // After a 4-image release of 0.6 of the budget, each image on its own has room for less than another 0.6;
  // an image that escaped the charge (first, last or any) would still fit one, like the fresh control image.
  const { ledger } = tempLedger(t);
  const ids = images(ledger, 5, 9);
  const setIds = ids.slice(0, 4);
  const fresh = ids[4] as ImageId;
  const part = rho(0.6 * rhoForEpsilon(epsilon(10), delta(1e-5)));
  for (const order of [setIds, [...setIds].reverse()]) {
    const out = await ledger.release({ imageIds: order, params: PARAMS, releaseNumber: 1, rho: part, compute: () => 1 });
    assert.equal(out.charged, order === setIds, 'the reordered set is the same set: a repeat charges nothing');
  }
  for (const [i, id] of setIds.entries()) {
    await assert.rejects(ledger.release({ imageIds: [id], params: PARAMS, releaseNumber: 1, rho: part, compute: () => 2 }),
      (e: unknown) => isDpError(e, 'BUDGET_EXHAUSTED'), `image ${i} of the set was not charged`);
  }
  const control = await ledger.release({ imageIds: [fresh], params: PARAMS, releaseNumber: 1, rho: part, compute: () => 3 });
  assert.equal(control.charged, true);
  assert.equal(ledger.budget().mostSpentImage.spentRho, part);
});

test('the request checks each field: ρ = 0, mustFitRho below ρ or infinite, compute and params of the wrong kind', async (t) => {
  const { ledger } = tempLedger(t);
  const [a] = images(ledger, 1) as [ImageId];
  const refused = (request: Record<string, unknown>, problem: string): Promise<void> => assert.rejects(
    ledger.release({ imageIds: [a], params: PARAMS, releaseNumber: 1, rho: rho(0.5), compute: () => 1, ...request } as never),
    (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') && e.message === `invalid release request: ${problem}.`,
  );
  await refused({ rho: 0 }, 'rho must be a finite number > 0, got 0');
  await refused({ mustFitRho: 0.25 }, 'mustFitRho must be a finite number >= rho, got 0.25');
  await refused({ mustFitRho: Number.POSITIVE_INFINITY }, 'mustFitRho must be a finite number >= rho, got Infinity');
  await refused({ compute: 'run' }, 'compute must be a function that runs the DP release');
  await refused({ params: [1, 2] }, 'params must be a plain object');
  await refused({ params: null }, 'params must be a plain object');
  await refused({ params: 'p' }, 'params must be a plain object');
  // mustFitRho = ρ is allowed, and nothing was charged by the refusals above.
  const ok = await ledger.release({ imageIds: [a], params: PARAMS, releaseNumber: 1, rho: rho(0.5), mustFitRho: rho(0.5), compute: () => 1 });
  assert.equal(ok.charged, true);
  assert.equal(ledger.budget().mostSpentImage.spentRho, 0.5);
});

test('the busy timeout must be an integer number of milliseconds ≥ 0', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dp-ledger-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const busyTimeoutMs of [-1, 1.5]) {
    assert.throws(() => openLedger(join(dir, 'l.sqlite'), { busyTimeoutMs }),
      { code: 'INVALID_ARGUMENT', message: `busyTimeoutMs must be an integer >= 0 (milliseconds), got ${busyTimeoutMs}.` });
  }
  openLedger(join(dir, 'l.sqlite'), { busyTimeoutMs: 0 }).close();
});

test('a zero budget ε is refused with what to pass instead, and the budget is unchanged', async (t) => {
  const { ledger } = tempLedger(t);
  await assert.rejects(ledger.setBudget({ epsilon: 0, delta: 1e-5 }), (e: unknown) => isDpError(e, 'INVALID_ARGUMENT')
    && e.message === 'the budget epsilon must be > 0, got 0; pass the total privacy loss each image may take, such as 10.');
  assert.deepEqual(ledger.budget().budget, DEFAULT_BUDGET);
});
