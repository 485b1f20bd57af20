/**
 * `dp-hyperlora ledger backup DEST`: a consistent copy of the ledger while it may be in use. The database is
 * copied with SQLite's online backup API (src/dp/ledger-store.ts), so charges committed only in `<db>-wal` are in
 * the copy, and the key is copied beside it as `DEST.key` (mode 0600): a ledger without its key cannot be used.
 * Both are written under temporary names, checked by opening them as a ledger, and only then renamed into place,
 * so a failed backup leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DpHyperLoraError } from '../errors.js';
import { openLedger } from '../dp/ledger.js';
import { ledgerKeyPath } from '../dp/ledger-store.js';
import { checkOutputPath } from '../pack/atomic-write.js';

/** What a backup wrote (the --json output of `ledger backup`). */
export interface LedgerBackupOutput {
  readonly ledger: string;
  readonly database: string;
  readonly key: string;
  /** Releases in the copy (equal to the source's at the moment of the backup). */
  readonly releases: number;
}

async function removeQuietly(paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map((p) => rm(p, { force: true })));
}

/** Backs up the ledger at `source` to `destination` and `destination.key`. */
export async function backupLedger(source: string, destination: string, force: boolean): Promise<LedgerBackupOutput> {
  const dest = resolve(destination);
  const ledger = openLedger(source, { create: false });
  try {
    if (dest === ledger.path) {
      throw new DpHyperLoraError('INVALID_ARGUMENT', `the backup destination ${dest} is the ledger itself; choose another path, ideally on another disk.`);
    }
    await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
    await checkOutputPath(dest, force);
    await checkOutputPath(ledgerKeyPath(dest), force);
    const tmp = `${dest}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const temporary = [tmp, ledgerKeyPath(tmp), `${tmp}-wal`, `${tmp}-shm`];
    try {
      await ledger.backupDatabase(tmp);
      await chmod(tmp, 0o600);
      await copyFile(ledgerKeyPath(ledger.path), ledgerKeyPath(tmp), constants.COPYFILE_EXCL);
      await chmod(ledgerKeyPath(tmp), 0o600);
      // The copy must open as a ledger with its key and hold every release of the source.
      const copy = openLedger(tmp, { create: false });
      let releases: number;
      try {
        releases = copy.list().length;
      } finally {
        copy.close();
      }
      const expected = ledger.list().length;
      if (releases < expected) {
        throw new DpHyperLoraError('LEDGER_CORRUPT', `the backup of ${ledger.path} holds ${releases} release(s) but the ledger holds ${expected}; nothing was written. Retry the backup.`);
      }
      await rename(ledgerKeyPath(tmp), ledgerKeyPath(dest));
      await rename(tmp, dest);
      return { ledger: ledger.path, database: dest, key: ledgerKeyPath(dest), releases };
    } finally {
      await removeQuietly(temporary);
    }
  } finally {
    ledger.close();
  }
}
