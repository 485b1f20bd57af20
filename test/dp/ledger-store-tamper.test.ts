/**
 * The ledger store against files edited by hand and storage failures: an invalid budget in the meta table, a
 * key file that cannot be read or is readable by others, an empty DP_HYPERLORA_LEDGER, and the mapping of
 * each SQLite failure class to its coded error. Everything goes through src/dp/ledger-store.ts and ledger.ts
 * on real files; only process.stderr is watched to read the log lines.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cliInvocation } from '../../src/cli-invocation.js';
import { openLedger } from '../../src/dp/ledger.js';
import { defaultLedgerPath, LedgerStore, storageError } from '../../src/dp/ledger-store.js';
import { isDpError, type ErrorCode } from '../../src/errors.js';

const OPTIONS = { create: true, busyTimeoutMs: 250, initialBudget: { epsilon: 2, delta: 1e-6 } };

function tempLedger(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'dp-ledger-tamper-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'ledger.sqlite');
}

/** Runs `fn` and returns what it wrote to stderr (the logger's only sink). */
function stderrOf(t: TestContext, fn: () => void): string {
  let text = '';
  const spy = t.mock.method(process.stderr, 'write', (chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  try {
    fn();
  } finally {
    spy.mock.restore();
  }
  return text;
}

function setMeta(path: string, key: string, value: string | undefined): void {
  const db = new Database(path);
  if (value === undefined) db.prepare('DELETE FROM meta WHERE key = ?').run(key);
  else db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  db.close();
}

test('a budget edited into the meta table by hand is refused unless 0 < δ < 1 and ε > 0', (t) => {
  const path = tempLedger(t);
  LedgerStore.open(path, OPTIONS).close();
  const message = `the ledger at ${path} holds no valid budget in its meta table. Restore it from a backup, or set one with ${cliInvocation()} ledger budget --epsilon E --delta D.`;
  const cases: Array<[string, string | undefined, string, string | undefined]> = [
    ['ε = 0', '0', 'δ valid', '1e-6'], ['ε < 0', '-1', 'δ valid', '1e-6'], ['ε not a number', 'ten', 'δ valid', '1e-6'],
    ['ε missing', undefined, 'δ valid', '1e-6'], ['ε valid', '2', 'δ = 0', '0'], ['ε valid', '2', 'δ < 0', '-1e-6'],
    ['ε valid', '2', 'δ = 1', '1'], ['ε valid', '2', 'δ > 1', '1.5'], ['ε valid', '2', 'δ missing', undefined],
  ];
  for (const [eName, epsilon, dName, delta] of cases) {
    LedgerStore.open(path, OPTIONS).close();
    const db = new Database(path);
    const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    const drop = db.prepare('DELETE FROM meta WHERE key = ?');
    for (const [key, value] of [['budget_epsilon', epsilon], ['budget_delta', delta]] as const) {
      if (value === undefined) drop.run(key);
      else put.run(key, value);
    }
    db.close();
    const store = LedgerStore.open(path, OPTIONS);
    assert.throws(() => store.readBudget(), (e: unknown) => isDpError(e, 'LEDGER_CORRUPT') && e.message === message, `${eName}, ${dName}`);
    store.close();
  }
  // The edges that are valid: a tiny ε, a δ just inside (0, 1).
  for (const [epsilon, delta] of [[1e-300, 0.999999], [5e-324, 5e-324]] as const) {
    LedgerStore.open(path, OPTIONS).close();
    setMeta(path, 'budget_epsilon', String(epsilon));
    setMeta(path, 'budget_delta', String(delta));
    const store = LedgerStore.open(path, OPTIONS);
    assert.deepEqual(store.readBudget(), { epsilon, delta });
    store.close();
  }
});

test('a ledger whose key check row was deleted is refused as corrupt', (t) => {
  const path = tempLedger(t);
  LedgerStore.open(path, OPTIONS).close();
  setMeta(path, 'key_check', undefined);
  assert.throws(() => LedgerStore.open(path, OPTIONS), (e: unknown) => isDpError(e, 'LEDGER_CORRUPT')
    && e.message === `the ledger at ${path} has no key check in its meta table. Restore it from a backup; it is never reset automatically.`);
});

test('a new ledger records its creation time, leaves no temporary key file and logs where it was made', (t) => {
  const path = tempLedger(t);
  const before = Date.now();
  const logged = stderrOf(t, () => LedgerStore.open(path, OPTIONS).close());
  assert.equal(logged, `[dp-hyperlora info] ledger: created a ledger at ${path}: per-image budget ε=2 at δ=0.000001 (change it with ${cliInvocation()} ledger budget)\n`);
  const db = new Database(path, { readonly: true });
  const rows = db.prepare('SELECT key, value FROM meta ORDER BY key').all() as Array<{ key: string; value: string }>;
  db.close();
  assert.deepEqual(rows.map((r) => r.key), ['budget_delta', 'budget_epsilon', 'created_at', 'key_check', 'schema_version']);
  const created = Date.parse(rows.find((r) => r.key === 'created_at')?.value ?? '');
  assert.ok(created >= before - 1000 && created <= Date.now() + 1000, `created_at ${created} not near now`);
  assert.deepEqual(readdirSync(join(path, '..')).filter((f) => !f.startsWith('ledger.sqlite-')).sort(), ['ledger.sqlite', 'ledger.sqlite.key']);
  assert.equal(statSync(`${path}.key`).mode & 0o777, 0o600);
  assert.equal(statSync(path).mode & 0o077, 0);
});

test('a key file readable by others opens with a warning; a private one opens silently', (t) => {
  const path = tempLedger(t);
  LedgerStore.open(path, OPTIONS).close();
  assert.equal(stderrOf(t, () => LedgerStore.open(path, OPTIONS).close()), '');
  chmodSync(`${path}.key`, 0o644);
  assert.equal(stderrOf(t, () => LedgerStore.open(path, OPTIONS).close()),
    `[dp-hyperlora warn] ledger: key file ${path}.key is readable by other users; run chmod 600 on it\n`);
});

test('a key file that cannot be read is refused with the reason, not called missing', (t) => {
  const path = tempLedger(t);
  LedgerStore.open(path, OPTIONS).close();
  rmSync(`${path}.key`);
  mkdirSync(`${path}.key`);
  assert.throws(() => LedgerStore.open(path, OPTIONS), (e: unknown) => isDpError(e, 'LEDGER_KEY_MISSING')
    && e.message.startsWith(`the key file ${path}.key of the ledger at ${path} cannot be read (EISDIR). Restore it from a backup.`));
});

test('an SQLite database with tables but no application id is foreign, not empty', (t) => {
  const path = tempLedger(t);
  const db = new Database(path);
  db.exec('CREATE TABLE notes (body TEXT)');
  db.close();
  assert.throws(() => LedgerStore.open(path, OPTIONS), (e: unknown) => isDpError(e, 'LEDGER_FOREIGN'));
  const again = new Database(path, { readonly: true });
  assert.deepEqual((again.prepare('SELECT name FROM sqlite_master').all() as Array<{ name: string }>).map((r) => r.name), ['notes']);
  again.close();
});

test('an SQLite database with another application id but no tables yet is foreign, not empty', (t) => {
  const path = tempLedger(t);
  const db = new Database(path);
  db.pragma('application_id = 7');
  db.close();
  assert.throws(() => LedgerStore.open(path, OPTIONS), (e: unknown) => isDpError(e, 'LEDGER_FOREIGN') && e.message.includes('(application_id 7)'));
  const again = new Database(path, { readonly: true });
  assert.equal((again.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n, 0, 'nothing was created in it');
  again.close();
});

test('a ledger that fails SQLite\'s quick_check (a negative ρ slipped past its CHECK) is refused as corrupt', (t) => {
  const path = tempLedger(t);
  LedgerStore.open(path, OPTIONS).close();
  const db = new Database(path);
  db.pragma('ignore_check_constraints = ON');
  db.prepare('INSERT INTO images (image_id, rho_spent) VALUES (randomblob(32), -1)').run();
  db.close();
  assert.throws(() => LedgerStore.open(path, OPTIONS), (e: unknown) => isDpError(e, 'LEDGER_CORRUPT')
    && e.message === `the ledger at ${path} failed SQLite's integrity check (CHECK constraint failed in images). Restore it from a backup; it is never reset automatically.`);
});

test('an empty DP_HYPERLORA_LEDGER counts as unset', () => {
  assert.equal(defaultLedgerPath({ DP_HYPERLORA_LEDGER: '', XDG_DATA_HOME: '/data/home' }), '/data/home/dp-hyperlora/ledger.sqlite');
  assert.equal(defaultLedgerPath({ DP_HYPERLORA_LEDGER: '' }), join(homedir(), '.local/share/dp-hyperlora/ledger.sqlite'));
});

test('rollback without a transaction and a second close are harmless', (t) => {
  const store = LedgerStore.open(tempLedger(t), OPTIONS);
  assert.equal(store.inTransaction, false);
  store.rollback();
  store.beginImmediate();
  assert.equal(store.inTransaction, true);
  store.rollback();
  assert.equal(store.inTransaction, false);
  store.close();
  store.close();
});

test('a backup into a folder that does not exist fails with a coded error naming the destination', async (t) => {
  // better-sqlite3 refuses it before SQLite runs (a TypeError), so it maps to INTERNAL with the reason.
  const path = tempLedger(t);
  const ledger = openLedger(path);
  t.after(() => ledger.close());
  const destination = join(path, '..', 'no-such-folder', 'copy.sqlite');
  await assert.rejects(ledger.backupDatabase(destination), (e: unknown) => isDpError(e, 'INTERNAL')
    && e.message.startsWith(`ledger storage at ${destination} failed (error: `) && e.cause instanceof Error);
});

test('each SQLite failure class maps to its code and advice; the cause is kept', () => {
  const path = '/ledgers/l.sqlite';
  const restore = `Restore the ledger from a backup made by ${cliInvocation()} ledger backup DEST (copy the backup and its .key into place); it is never reset automatically.`;
  const expect: Array<[string, ErrorCode, string]> = [
    ['SQLITE_BUSY', 'LEDGER_BUSY', `the ledger at ${path} stayed locked by another process for more than 1500 ms. Wait for the other dp-hyperlora run to finish, then retry; nothing was charged.`],
    ['SQLITE_BUSY_SNAPSHOT', 'LEDGER_BUSY', ''],
    ['SQLITE_LOCKED', 'LEDGER_BUSY', ''],
    ['SQLITE_LOCKED_SHAREDCACHE', 'LEDGER_BUSY', ''],
    ['SQLITE_CORRUPT', 'LEDGER_CORRUPT', `the ledger at ${path} is not a readable SQLite database (boom): it is damaged, or the path names another kind of file. ${restore}`],
    ['SQLITE_CORRUPT_INDEX', 'LEDGER_CORRUPT', ''],
    ['SQLITE_NOTADB', 'LEDGER_CORRUPT', ''],
    ['SQLITE_CANTOPEN', 'INVALID_ARGUMENT', `the ledger at ${path} cannot be opened for writing (boom). Check the path and its permissions, or pass another --ledger.`],
    ['SQLITE_PERM', 'INVALID_ARGUMENT', ''],
    ['SQLITE_READONLY_DBMOVED', 'INVALID_ARGUMENT', ''],
    ['SQLITE_AUTH', 'INVALID_ARGUMENT', ''],
    ['SQLITE_FULL', 'INTERNAL', `ledger storage at ${path} failed (SQLITE_FULL: boom). Check free disk space and the file system; the failed operation charged nothing.`],
    ['SQLITE_IOERR_BUSY', 'INTERNAL', ''],
    ['XSQLITE_BUSY', 'INTERNAL', ''],
  ];
  for (const [code, errorCode, message] of expect) {
    const cause = new Database.SqliteError('boom', code);
    const e = storageError(cause, path, 1500);
    assert.ok(isDpError(e, errorCode), `${code} → ${e.code}, expected ${errorCode}`);
    if (message !== '') assert.equal(e.message, message, code);
    assert.equal(e.cause, cause, `${code} keeps its cause`);
  }
  const plain = storageError(new Error('disk on fire'), path, 1500);
  assert.ok(isDpError(plain, 'INTERNAL'));
  assert.equal(plain.message, `ledger storage at ${path} failed (error: disk on fire). Check free disk space and the file system; the failed operation charged nothing.`);
  assert.equal(storageError('text', path, 1500).message, `ledger storage at ${path} failed (error: text). Check free disk space and the file system; the failed operation charged nothing.`);
  const coded = storageError(plain, '/elsewhere', 1);
  assert.equal(coded, plain, 'a coded error passes through unchanged');
});
