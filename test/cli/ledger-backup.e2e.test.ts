// End-to-end: `dp-hyperlora ledger backup` (built CLI) on a ledger that another process holds open.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openLedger } from '../../src/dp/ledger.js';
import { rho } from '../../src/dp/types.js';
import { isDpError } from '../../src/errors.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'dp-hyperlora.js');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DP_HYPERLORA_LOG: 'warn' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('backup copies a charge that is still only in the WAL, with the key; the copy opens as a ledger', async (t) => {
  assert.ok(existsSync(join(ROOT, 'dist', 'src', 'cli', 'ledger-backup.js')), 'build first: npx tsc -p tsconfig.build.json');
  const dir = mkdtempSync(join(tmpdir(), 'dp-ledger-backup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'ledger.sqlite');
  const ledger = openLedger(path);
  try {
    const ids = Array.from({ length: 5 }, (_, i) => ledger.identify(Uint8Array.of(i, 9, 9), 1, 1, 3));
    await ledger.release({ imageIds: ids, params: { p: 1 }, releaseNumber: 1, rho: rho(0.5), compute: () => ({ v: 1 }) });
    assert.ok(statSync(`${path}-wal`).size > 0, 'the charge sits in the write-ahead log while the ledger is open');
    // The old advice, copying the .sqlite file and its key, would miss it (shown, not asserted: SQLite may checkpoint).
    copyFileSync(path, join(dir, 'plain.sqlite'));
    copyFileSync(`${path}.key`, join(dir, 'plain.sqlite.key'));
    const plain = openLedger(join(dir, 'plain.sqlite'), { create: false });
    t.diagnostic(`a plain file copy holds ${plain.list().length} of 1 release(s)`);
    plain.close();

    const dest = join(dir, 'backup', 'copy.sqlite');
    const r = cli(['ledger', 'backup', dest, '--ledger', path, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { ledger: path, database: dest, key: `${dest}.key`, releases: 1 });
    assert.equal(statSync(dest).mode & 0o777, 0o600);
    assert.equal(statSync(`${dest}.key`).mode & 0o777, 0o600);
    const copy = openLedger(dest, { create: false });
    try {
      assert.equal(copy.list().length, 1);
      assert.equal(copy.identify(Uint8Array.of(0, 9, 9), 1, 1, 3), ids[0], 'the same key: images keep their identity and budget');
    } finally {
      copy.close();
    }
    assert.deepEqual(readdirSync(join(dir, 'backup')).sort(), ['copy.sqlite', 'copy.sqlite.key'], 'no temporary file is left');

    const again = cli(['ledger', 'backup', dest, '--ledger', path, '--json']);
    assert.equal(again.status, 2);
    assert.equal((JSON.parse(again.stdout) as { error: { code: string } }).error.code, 'OUTPUT_EXISTS');
    assert.equal(cli(['ledger', 'backup', dest, '--ledger', path, '--force', '--json']).status, 0);
  } finally {
    ledger.close();
  }
});

test('a deleted database beside a surviving key is refused and leaves no file behind', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dp-ledger-lost-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'ledger.sqlite');
  openLedger(path).close();
  unlinkSync(path);
  assert.throws(() => openLedger(path), (e: unknown) => isDpError(e, 'LEDGER_CORRUPT') && e.message.includes('is missing or empty, but its key file'));
  assert.deepEqual(readdirSync(dir), ['ledger.sqlite.key'], 'no empty database, WAL or SHM file was created');
  const r = cli(['ledger', 'budget', '--epsilon', '5', '--delta', '1e-5', '--ledger', path, '--json']);
  assert.equal(r.status, 4, r.stderr);
  assert.deepEqual(readdirSync(dir), ['ledger.sqlite.key']);
  writeFileSync(path, '');
  assert.throws(() => openLedger(path), (e: unknown) => isDpError(e, 'LEDGER_CORRUPT'), 'an empty file beside the key is refused too');
});
