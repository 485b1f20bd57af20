import { cliInvocation } from '../../src/cli-invocation.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { openLedger, type ImageId } from '../../src/dp/ledger.js';
import { defaultLedgerPath } from '../../src/dp/ledger-store.js';
import { rho } from '../../src/dp/types.js';
import { isDpError, type ErrorCode } from '../../src/errors.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'dp-ledger-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Makes a closed ledger holding a few releases; returns its path. */
async function filledLedger(dir: string): Promise<string> {
  const path = join(dir, 'ledger.sqlite');
  const ledger = openLedger(path);
  const ids = Array.from({ length: 300 }, (_, i) => ledger.identify(Uint8Array.from([i % 256, i >> 8, 9]), 1, 1, 3));
  for (let n = 1; n <= 3; n += 1) {
    await ledger.release({ imageIds: ids, params: { n }, releaseNumber: 1, rho: rho(0.1), compute: () => ({ mean: Array.from({ length: 500 }, (_, i) => i / 7) }) });
  }
  ledger.close();
  return path;
}

function refused(path: string, code: ErrorCode, message: string): void {
  assert.throws(() => openLedger(path), (e: unknown) => {
    assert.ok(isDpError(e, code), `expected ${code}, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

const RESTORE = `Restore the ledger from a backup made by ${cliInvocation()} ledger backup DEST (copy the backup and its .key into place); it is never reset automatically.`;

test('a file of random bytes is refused as corrupt and left unchanged; no key is made', (t) => {
  const path = join(tempDir(t), 'ledger.sqlite');
  writeFileSync(path, randomBytes(8192));
  const before = sha(path);
  refused(path, 'LEDGER_CORRUPT', `the ledger at ${path} is not a readable SQLite database (file is not a database): it is damaged, or the path names another kind of file. ${RESTORE}`);
  assert.equal(sha(path), before);
  assert.equal(existsSync(`${path}.key`), false);
});

test('a truncated ledger is refused as corrupt', async (t) => {
  const path = await filledLedger(tempDir(t));
  const size = readFileSync(path).length;
  assert.ok(size > 8 * 4096, `ledger only ${size} bytes`);
  truncateSync(path, Math.floor(size / 2));
  refused(path, 'LEDGER_CORRUPT', `the ledger at ${path} is not a readable SQLite database (database disk image is malformed): it is damaged, or the path names another kind of file. ${RESTORE}`);
});

test('a ledger truncated to nothing, or deleted, beside its key is refused, never re-created', async (t) => {
  const path = await filledLedger(tempDir(t));
  const key = sha(`${path}.key`);
  truncateSync(path, 0);
  const message = `the ledger database at ${path} is missing or empty, but its key file ${path}.key exists: the database was lost or truncated. Restore it from a backup (${cliInvocation()} ledger backup DEST makes one). To start a new, empty ledger on purpose (every budget starts afresh), move the key file away first.`;
  refused(path, 'LEDGER_CORRUPT', message);
  rmSync(path);
  refused(path, 'LEDGER_CORRUPT', message);
  assert.equal(existsSync(path), false, 'no empty database is left in the lost one\'s place');
  assert.equal(sha(`${path}.key`), key);
});

test('an SQLite database of another application is refused as foreign and left unchanged', (t) => {
  const dir = tempDir(t);
  const plain = join(dir, 'other.sqlite');
  let db = new Database(plain);
  db.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello')");
  db.close();
  const before = sha(plain);
  refused(plain, 'LEDGER_FOREIGN', `the file at ${plain} is an SQLite database of another application (application_id 0), not a dp-hyperlora ledger; it was left unchanged. Pass --ledger (or set DP_HYPERLORA_LEDGER) to a dp-hyperlora ledger, or to a path where none exists yet to create one.`);
  assert.equal(sha(plain), before);
  assert.equal(existsSync(`${plain}-wal`), false);
  assert.equal(existsSync(`${plain}.key`), false);

  const tagged = join(dir, 'tagged.sqlite');
  db = new Database(tagged);
  db.pragma('application_id = 305419896');
  db.exec('CREATE TABLE x (y)');
  db.close();
  refused(tagged, 'LEDGER_FOREIGN', `the file at ${tagged} is an SQLite database of another application (application_id 305419896), not a dp-hyperlora ledger; it was left unchanged. Pass --ledger (or set DP_HYPERLORA_LEDGER) to a dp-hyperlora ledger, or to a path where none exists yet to create one.`);
});

test('an unknown schema version is refused as foreign; a missing meta table as corrupt', async (t) => {
  const path = await filledLedger(tempDir(t));
  let db = new Database(path);
  db.prepare("UPDATE meta SET value = '2' WHERE key = 'schema_version'").run();
  db.close();
  refused(path, 'LEDGER_FOREIGN', `the ledger at ${path} has schema version 2, but this dp-hyperlora reads version 1. Use the dp-hyperlora version that wrote it (or a newer one); the file was left unchanged.`);
  db = new Database(path);
  db.exec('DROP TABLE meta');
  db.close();
  refused(path, 'LEDGER_CORRUPT', `the ledger at ${path} has no schema version (its meta table is missing or damaged). Restore it from a backup; it is never reset automatically.`);
});

test('a missing, damaged or foreign key is refused and never regenerated', async (t) => {
  const path = await filledLedger(tempDir(t));
  const keyPath = `${path}.key`;
  const key = readFileSync(keyPath);
  const tail = 'Restore it from a backup. A new key is never generated for an existing ledger, because that would silently give every image a fresh budget.';
  rmSync(keyPath);
  refused(path, 'LEDGER_KEY_MISSING', `the key file ${keyPath} of the ledger at ${path} is missing. ${tail}`);
  assert.equal(existsSync(keyPath), false, 'the key must not be regenerated');
  writeFileSync(keyPath, key.subarray(0, 16), { mode: 0o600 });
  refused(path, 'LEDGER_KEY_MISSING', `the key file ${keyPath} of the ledger at ${path} is damaged (it must hold exactly 32 bytes). ${tail}`);
  writeFileSync(keyPath, randomBytes(32), { mode: 0o600 });
  refused(path, 'LEDGER_KEY_MISSING', `the key file ${keyPath} of the ledger at ${path} is not the key this ledger was created with. ${tail}`);
  rmSync(keyPath);
  writeFileSync(keyPath, key, { mode: 0o600 });
  const ledger = openLedger(path);
  assert.equal(ledger.list().length, 3, 'the restored key opens the ledger with its history');
  ledger.close();
});

test('opening without create refuses a missing ledger and creates nothing', (t) => {
  const path = join(tempDir(t), 'nothere.sqlite');
  assert.throws(() => openLedger(path, { create: false }), (e: unknown) => isDpError(e, 'INVALID_ARGUMENT')
    && e.message === `no ledger exists at ${path}. Check --ledger (or DP_HYPERLORA_LEDGER); a ledger is created by the first release or by \`${cliInvocation()} ledger budget --epsilon E --delta D\`.`);
  assert.equal(existsSync(path), false);
});

test('a new ledger takes the initial budget it is given; an existing one keeps its own', async (t) => {
  const path = join(tempDir(t), 'ledger.sqlite');
  const ledger = openLedger(path, { initialBudget: { epsilon: 3, delta: 1e-6 } });
  await ledger.release({ imageIds: [ledger.identify(Uint8Array.from([1, 2, 3]), 1, 1, 3) as ImageId], params: {}, releaseNumber: 1, rho: rho(0.01), compute: () => 0 });
  ledger.close();
  const again = openLedger(path, { initialBudget: { epsilon: 99, delta: 1e-3 } });
  assert.deepEqual(again.budget().budget, { epsilon: 3, delta: 1e-6 });
  again.close();
});

test('the default path follows DP_HYPERLORA_LEDGER, then XDG_DATA_HOME, then ~/.local/share', () => {
  assert.equal(defaultLedgerPath({ DP_HYPERLORA_LEDGER: 'rel/l.sqlite', XDG_DATA_HOME: '/x' }), resolve('rel/l.sqlite'));
  assert.equal(defaultLedgerPath({ XDG_DATA_HOME: '/data/home' }), '/data/home/dp-hyperlora/ledger.sqlite');
  assert.equal(defaultLedgerPath({ XDG_DATA_HOME: 'relative-is-ignored' }), join(homedir(), '.local/share/dp-hyperlora/ledger.sqlite'));
  assert.equal(defaultLedgerPath({}), join(homedir(), '.local/share/dp-hyperlora/ledger.sqlite'));
});
