/**
 * The privacy ledger's storage: the only file under src/dp that touches the filesystem or SQLite.
 *
 * One SQLite database (better-sqlite3, WAL, synchronous=FULL so a COMMIT is on disk before it returns) plus a
 * 32-byte secret key in `<db>.key` (mode 0600). The database holds keyed image ids, per-image ρ spent,
 * releases (set fingerprint, canonical parameters, release number, ρ, the stored DP output) and which
 * release charged which image; never a path, a name or a pixel. See docs/ledger.md for the schema.
 *
 * Fail closed: a file that is not a readable SQLite database, a database of another application, an
 * unknown schema version, or a missing or swapped key is refused with a coded error and left untouched.
 * Nothing here ever resets or regenerates anything for an existing ledger.
 *
 * Longer than the house's ~300 lines on purpose: the layout rule keeps every line of storage code in this file.
 */
import { cliInvocation } from '../cli-invocation.js';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DpHyperLoraError } from '../errors.js';
import { logger } from '../log/logger.js';
import { keyCheckValue, LEDGER_KEY_BYTES } from './identity.js';

/** `PRAGMA application_id` of every dp-hyperlora ledger: the bytes "DPLG". */
export const LEDGER_APPLICATION_ID = 0x44504c47;
/** The schema version this code reads and writes (meta key `schema_version`). */
export const LEDGER_SCHEMA_VERSION = 1;

const log = logger('ledger');

// Keyed image ids only (32-byte BLOBs); rho_spent is the running zCDP total per image, rounded up at every
// addition. `charges` records which release charged which image, so totals can be audited from releases.
const LEDGER_SCHEMA_SQL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE images (
  image_row INTEGER PRIMARY KEY,
  image_id BLOB NOT NULL UNIQUE CHECK (length(image_id) = 32),
  rho_spent REAL NOT NULL CHECK (rho_spent >= 0)
);
CREATE TABLE releases (
  release_id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at TEXT NOT NULL,
  set_fingerprint TEXT NOT NULL,
  params_json TEXT NOT NULL,
  release_number INTEGER NOT NULL,
  rho REAL NOT NULL CHECK (rho > 0),
  value_json TEXT NOT NULL,
  UNIQUE (set_fingerprint, params_json, release_number)
);
CREATE TABLE charges (
  release_id INTEGER NOT NULL REFERENCES releases (release_id),
  image_row INTEGER NOT NULL REFERENCES images (image_row),
  PRIMARY KEY (release_id, image_row)
) WITHOUT ROWID;
`;

/** One stored release, as the database holds it (parameters and value as canonical JSON text). */
export interface StoredRelease {
  releaseId: number;
  /** ISO 8601 time of the charge. */
  createdAt: string;
  setFingerprint: string;
  paramsJson: string;
  releaseNumber: number;
  /** zCDP ρ charged to every image of the set. */
  rho: number;
  valueJson: string;
}

/** A new release row (its id and time are assigned by the store). */
export type NewRelease = Omit<StoredRelease, 'releaseId' | 'createdAt'>;

const RELEASE_COLUMNS = `release_id AS releaseId, created_at AS createdAt, set_fingerprint AS setFingerprint,
  params_json AS paramsJson, release_number AS releaseNumber, rho, value_json AS valueJson`;

/** How to open a ledger's storage. */
export interface LedgerStoreOptions {
  /** Create the database and its key when no database exists at the path. */
  create: boolean;
  /** How long to wait for another process's write lock before LEDGER_BUSY, in milliseconds. */
  busyTimeoutMs: number;
  /** The per-image budget written into a newly created ledger (ignored for an existing one). */
  initialBudget: { epsilon: number; delta: number };
}

/**
 * The default ledger path: `$DP_HYPERLORA_LEDGER` when set, else `$XDG_DATA_HOME/dp-hyperlora/ledger.sqlite`,
 * else `~/.local/share/dp-hyperlora/ledger.sqlite`.
 */
export function defaultLedgerPath(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.DP_HYPERLORA_LEDGER;
  if (explicit !== undefined && explicit !== '') return resolve(explicit);
  const xdg = env.XDG_DATA_HOME;
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'share');
  return join(base, 'dp-hyperlora', 'ledger.sqlite');
}

/** Path of the secret key file that belongs to the ledger database at `dbPath`. */
export function ledgerKeyPath(dbPath: string): string {
  return `${dbPath}.key`;
}

/** Maps a storage failure to a coded error whose message names the ledger and what to do. */
export function storageError(e: unknown, path: string, busyTimeoutMs: number): DpHyperLoraError {
  if (e instanceof DpHyperLoraError) return e;
  const code = e instanceof Database.SqliteError ? e.code : '';
  const what = e instanceof Error ? e.message : String(e);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new DpHyperLoraError('LEDGER_BUSY',
      `the ledger at ${path} stayed locked by another process for more than ${busyTimeoutMs} ms. Wait for the other dp-hyperlora run to finish, then retry; nothing was charged.`, { cause: e });
  }
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB')) {
    return new DpHyperLoraError('LEDGER_CORRUPT',
      `the ledger at ${path} is not a readable SQLite database (${what}): it is damaged, or the path names another kind of file. Restore the ledger from a backup made by ${cliInvocation()} ledger backup DEST (copy the backup and its .key into place); it is never reset automatically.`, { cause: e });
  }
  if (/^SQLITE_(CANTOPEN|PERM|READONLY|AUTH)/.test(code)) {
    return new DpHyperLoraError('INVALID_ARGUMENT',
      `the ledger at ${path} cannot be opened for writing (${what}). Check the path and its permissions, or pass another --ledger.`, { cause: e });
  }
  return new DpHyperLoraError('INTERNAL',
    `ledger storage at ${path} failed (${code || 'error'}: ${what}). Check free disk space and the file system; the failed operation charged nothing.`, { cause: e });
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates the key file without ever replacing one: the key is written and synced under a temporary name,
 * then hard-linked into place, which fails if a key already exists (so a half-written key is never read).
 */
function createKeyFile(keyPath: string): Buffer {
  const key = randomBytes(LEDGER_KEY_BYTES);
  const tmp = `${keyPath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, key);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, keyPath);
  } finally {
    unlinkSync(tmp);
  }
  fsyncDirectory(dirname(keyPath));
  return key;
}

function keyMissing(path: string, why: string): DpHyperLoraError {
  return new DpHyperLoraError('LEDGER_KEY_MISSING',
    `the key file ${ledgerKeyPath(path)} of the ledger at ${path} ${why}. Restore it from a backup. A new key is never generated for an existing ledger, because that would silently give every image a fresh budget.`);
}

function readKeyFile(path: string, expectedCheck: string): Buffer {
  const keyPath = ledgerKeyPath(path);
  let key: Buffer;
  try {
    key = readFileSync(keyPath);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code ?? 'error';
    throw keyMissing(path, errno === 'ENOENT' ? 'is missing' : `cannot be read (${errno})`);
  }
  if (key.length !== LEDGER_KEY_BYTES) throw keyMissing(path, `is damaged (it must hold exactly ${LEDGER_KEY_BYTES} bytes)`);
  if (keyCheckValue(key) !== expectedCheck) throw keyMissing(path, 'is not the key this ledger was created with');
  if ((statSync(keyPath).mode & 0o077) !== 0) log.warn(`key file ${keyPath} is readable by other users; run chmod 600 on it`);
  return key;
}

/** What an existing file at the ledger path turned out to be. */
type Classification = 'empty' | 'ledger';

function classify(db: Database.Database, path: string): Classification {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const tables = (db.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n;
  if (applicationId === 0 && tables === 0) return 'empty';
  if (applicationId !== LEDGER_APPLICATION_ID) {
    throw new DpHyperLoraError('LEDGER_FOREIGN',
      `the file at ${path} is an SQLite database of another application (application_id ${applicationId}), not a dp-hyperlora ledger; it was left unchanged. Pass --ledger (or set DP_HYPERLORA_LEDGER) to a dp-hyperlora ledger, or to a path where none exists yet to create one.`);
  }
  const check = db.pragma('quick_check') as Array<{ quick_check: string }>;
  const firstProblem = check.find((row) => row.quick_check !== 'ok');
  if (firstProblem !== undefined) {
    throw new DpHyperLoraError('LEDGER_CORRUPT',
      `the ledger at ${path} failed SQLite's integrity check (${firstProblem.quick_check}). Restore it from a backup; it is never reset automatically.`);
  }
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
  const version = hasMeta
    ? (db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined)?.value
    : undefined;
  if (version === undefined) {
    throw new DpHyperLoraError('LEDGER_CORRUPT', `the ledger at ${path} has no schema version (its meta table is missing or damaged). Restore it from a backup; it is never reset automatically.`);
  }
  if (version !== String(LEDGER_SCHEMA_VERSION)) {
    throw new DpHyperLoraError('LEDGER_FOREIGN',
      `the ledger at ${path} has schema version ${version}, but this dp-hyperlora reads version ${LEDGER_SCHEMA_VERSION}. Use the dp-hyperlora version that wrote it (or a newer one); the file was left unchanged.`);
  }
  return 'ledger';
}

/** Creates the schema, the key and the meta rows of a new ledger, all under one write lock. */
function initialise(db: Database.Database, path: string, options: LedgerStoreOptions): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    // Another process may have created the ledger while we waited for the lock.
    if (classify(db, path) === 'ledger') {
      db.exec('COMMIT');
      return;
    }
    if (existsSync(ledgerKeyPath(path))) throw databaseLost(path);
    const key = createKeyFile(ledgerKeyPath(path));
    try {
      // The database holds no pixels or names, but which releases shared images is nobody else's business.
      chmodSync(path, 0o600);
      db.exec(LEDGER_SCHEMA_SQL);
      db.pragma(`application_id = ${LEDGER_APPLICATION_ID}`);
      const meta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      meta.run('schema_version', String(LEDGER_SCHEMA_VERSION));
      meta.run('key_check', keyCheckValue(key));
      meta.run('created_at', new Date().toISOString());
      meta.run('budget_epsilon', String(options.initialBudget.epsilon));
      meta.run('budget_delta', String(options.initialBudget.delta));
      db.exec('COMMIT');
    } catch (e) {
      // Nothing was committed, so the new key belongs to no ledger yet: remove it, or the next open would
      // (rightly) refuse an empty database beside an existing key.
      if (db.inTransaction) db.exec('ROLLBACK');
      unlinkSync(ledgerKeyPath(path));
      throw e;
    }
    log.info(`created a ledger at ${path}: per-image budget ε=${options.initialBudget.epsilon} at δ=${options.initialBudget.delta} (change it with ${cliInvocation()} ledger budget)`);
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  }
}

function databaseLost(path: string): DpHyperLoraError {
  return new DpHyperLoraError('LEDGER_CORRUPT',
    `the ledger database at ${path} is missing or empty, but its key file ${ledgerKeyPath(path)} exists: the database was lost or truncated. Restore it from a backup (${cliInvocation()} ledger backup DEST makes one). To start a new, empty ledger on purpose (every budget starts afresh), move the key file away first.`);
}

function openDatabase(path: string, options: LedgerStoreOptions): { db: Database.Database; key: Buffer } {
  // Refused before SQLite would create an empty file in the lost database's place.
  if (!existsSync(path) && existsSync(ledgerKeyPath(path))) throw databaseLost(path);
  if (!options.create && !existsSync(path)) {
    throw new DpHyperLoraError('INVALID_ARGUMENT',
      `no ledger exists at ${path}. Check --ledger (or DP_HYPERLORA_LEDGER); a ledger is created by the first release or by \`${cliInvocation()} ledger budget --epsilon E --delta D\`.`);
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path, { fileMustExist: !options.create, timeout: options.busyTimeoutMs });
  try {
    db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
    if (classify(db, path) === 'empty') initialise(db, path, options);
    const meta = db.prepare("SELECT value FROM meta WHERE key = 'key_check'").get() as { value: string } | undefined;
    if (meta === undefined) throw new DpHyperLoraError('LEDGER_CORRUPT', `the ledger at ${path} has no key check in its meta table. Restore it from a backup; it is never reset automatically.`);
    const key = readKeyFile(path, meta.value);
    // WAL lets readers (ledger list) run beside a release; FULL syncs the WAL at every COMMIT, so a charge
    // that COMMIT reported is on disk before any value leaves the ledger.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new DpHyperLoraError('INTERNAL', `the ledger at ${path} could not switch to WAL mode (got ${String(mode)}); check that the file system supports shared memory files.`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    return { db, key };
  } catch (e) {
    db.close();
    throw storageError(e, path, options.busyTimeoutMs);
  }
}

/**
 * An open ledger database. The transaction methods let src/dp/ledger.ts run a release's check, compute and
 * charge under one `BEGIN IMMEDIATE`; every SQLite failure surfaces as a coded error naming the ledger.
 */
export class LedgerStore {
  /** Absolute path of the database file. */
  readonly path: string;
  /** The ledger's 32-byte HMAC key (private: never logged, never stored in the database). */
  readonly key: Buffer;
  readonly #db: Database.Database;
  readonly #busyTimeoutMs: number;

  private constructor(path: string, db: Database.Database, key: Buffer, busyTimeoutMs: number) {
    this.path = path;
    this.#db = db;
    this.key = key;
    this.#busyTimeoutMs = busyTimeoutMs;
  }

  /** Opens (or, with `create`, creates) the ledger at `path`, refusing corrupt, foreign or keyless files. */
  static open(path: string, options: LedgerStoreOptions): LedgerStore {
    const absolute = resolve(path);
    const { db, key } = openDatabase(absolute, options);
    return new LedgerStore(absolute, db, key, options.busyTimeoutMs);
  }

  #guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw storageError(e, this.path, this.#busyTimeoutMs);
    }
  }

  /** True while a transaction is open on this connection. */
  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  /** Takes the database's write lock (waiting up to the busy timeout) and opens a transaction. */
  beginImmediate(): void {
    this.#guard(() => this.#db.exec('BEGIN IMMEDIATE'));
  }

  /** Commits; with synchronous=FULL the transaction is durable when this returns. */
  commit(): void {
    this.#guard(() => this.#db.exec('COMMIT'));
  }

  /** Rolls back the open transaction, if any. */
  rollback(): void {
    if (this.#db.inTransaction) this.#guard(() => this.#db.exec('ROLLBACK'));
  }

  /** The release stored under this idempotence key, if any. */
  findRelease(setFingerprint: string, paramsJson: string, releaseNumber: number): StoredRelease | undefined {
    return this.#guard(() => this.#db.prepare(`SELECT ${RELEASE_COLUMNS} FROM releases
      WHERE set_fingerprint = ? AND params_json = ? AND release_number = ?`).get(setFingerprint, paramsJson, releaseNumber) as StoredRelease | undefined);
  }

  /** The release with this id, if any. */
  getRelease(releaseId: number): StoredRelease | undefined {
    return this.#guard(() => this.#db.prepare(`SELECT ${RELEASE_COLUMNS} FROM releases WHERE release_id = ?`).get(releaseId) as StoredRelease | undefined);
  }

  /** Every release, oldest first. */
  listReleases(): StoredRelease[] {
    return this.#guard(() => this.#db.prepare(`SELECT ${RELEASE_COLUMNS} FROM releases ORDER BY release_id`).all() as StoredRelease[]);
  }

  /** The ledger-wide per-image budget. */
  readBudget(): { epsilon: number; delta: number } {
    return this.#guard(() => {
      const rows = this.#db.prepare("SELECT key, value FROM meta WHERE key IN ('budget_epsilon', 'budget_delta')").all() as Array<{ key: string; value: string }>;
      const get = (k: string): number => Number(rows.find((r) => r.key === k)?.value);
      const budget = { epsilon: get('budget_epsilon'), delta: get('budget_delta') };
      if (!(budget.epsilon > 0) || !(budget.delta > 0 && budget.delta < 1)) {
        throw new DpHyperLoraError('LEDGER_CORRUPT', `the ledger at ${this.path} holds no valid budget in its meta table. Restore it from a backup, or set one with ${cliInvocation()} ledger budget --epsilon E --delta D.`);
      }
      return budget;
    });
  }

  /** Replaces the ledger-wide per-image budget (inside the caller's transaction). */
  writeBudget(budget: { epsilon: number; delta: number }): void {
    this.#guard(() => {
      const put = this.#db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
      put.run('budget_epsilon', String(budget.epsilon));
      put.run('budget_delta', String(budget.delta));
    });
  }

  /** ρ spent so far by each image (0 for an image never charged), in the order given. */
  spentRho(imageIds: readonly string[]): number[] {
    return this.#guard(() => {
      const get = this.#db.prepare('SELECT rho_spent AS rho FROM images WHERE image_id = ?');
      return imageIds.map((id) => (get.get(Buffer.from(id, 'hex')) as { rho: number } | undefined)?.rho ?? 0);
    });
  }

  /** The largest ρ spent by any image in the ledger (0 when none was charged). */
  maxSpentRho(): number {
    return this.#guard(() => (this.#db.prepare('SELECT max(rho_spent) AS rho FROM images').get() as { rho: number | null }).rho ?? 0);
  }

  /** Stores a release and returns its id (inside the caller's transaction). */
  insertRelease(release: NewRelease): number {
    return this.#guard(() => Number(this.#db.prepare(`INSERT INTO releases
      (created_at, set_fingerprint, params_json, release_number, rho, value_json) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(new Date().toISOString(), release.setFingerprint, release.paramsJson, release.releaseNumber, release.rho, release.valueJson).lastInsertRowid));
  }

  /** Sets each image's new ρ total and records the charge (inside the caller's transaction). */
  chargeImages(releaseId: number, imageIds: readonly string[], newSpentRho: readonly number[]): void {
    this.#guard(() => {
      const upsert = this.#db.prepare(`INSERT INTO images (image_id, rho_spent) VALUES (?, ?)
        ON CONFLICT (image_id) DO UPDATE SET rho_spent = excluded.rho_spent RETURNING image_row AS row`);
      const charge = this.#db.prepare('INSERT INTO charges (release_id, image_row) VALUES (?, ?)');
      imageIds.forEach((id, i) => {
        const { row } = upsert.get(Buffer.from(id, 'hex'), newSpentRho[i]) as { row: number };
        charge.run(releaseId, row);
      });
    });
  }

  /** How many releases the ledger holds. */
  releaseCount(): number {
    return this.#guard(() => (this.#db.prepare('SELECT count(*) AS n FROM releases').get() as { n: number }).n);
  }

  /**
   * Writes a consistent copy of the database to `destination` with SQLite's online backup API: every committed
   * charge is in it, including those still only in the write-ahead log (which a plain file copy misses).
   */
  async backupDatabase(destination: string): Promise<void> {
    try {
      await this.#db.backup(destination);
    } catch (e) {
      throw storageError(e, destination, this.#busyTimeoutMs);
    }
  }

  /** Closes the connection; the last connection to close folds the WAL back into the database file. */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
