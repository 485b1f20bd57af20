/**
 * Long-lived resources of one worker process, shared by the nodes: the privacy ledger (opened once, on first
 * use) and loaded packs (validated once per folder and manifest). A remote worker may not see the bridge's
 * folders; it then looks a pack up by its folder name in its own --packs folders.
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DpHyperLoraError } from '../errors.js';
import { openLedger, type Ledger } from '../dp/ledger.js';
import type { InferenceSession } from 'onnxruntime-node';
import { loadPack, type Pack } from '../pack/manifest.js';
import { SessionFactory } from '../pack/sessions.js';
import type { WorkerSettings } from './node-definition.js';

let ledger: Ledger | undefined;

/** The worker's ledger (settings.ledgerPath, or the ledger's default path). */
export function workerLedger(settings: WorkerSettings): Ledger {
  ledger ??= settings.ledgerPath === undefined ? openLedger() : openLedger(settings.ledgerPath);
  return ledger;
}

const packs = new Map<string, { mtimeMs: number; pack: Pack }>();

async function isDir(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

/** Where the pack chosen as {name, path} is on this machine (hypernetwork or conditioning pack). */
export async function locatePack(ref: { name: string; path: string | null }, settings: WorkerSettings): Promise<string> {
  if (ref.path !== null && await isDir(ref.path)) return ref.path;
  const folder = basename(ref.path ?? ref.name);
  for (const dir of settings.packDirs) {
    const candidate = join(dir, folder);
    if (await isDir(candidate)) return candidate;
  }
  throw new DpHyperLoraError('PACK_NOT_FOUND',
    `the pack folder ${JSON.stringify(folder)} does not exist on the worker's machine; copy it there and pass its parent folder with --packs.`);
}

/** Loads (and caches) the pack chosen in a Load DP Hypernetwork node. */
export async function workerPack(ref: { name: string; path: string | null }, settings: WorkerSettings): Promise<Pack> {
  const dir = await locatePack(ref, settings);
  const mtimeMs = (await stat(join(dir, 'manifest.json')).catch(() => ({ mtimeMs: -1 }))).mtimeMs;
  const cached = packs.get(dir);
  if (cached !== undefined && cached.mtimeMs === mtimeMs) return cached.pack;
  const pack = await loadPack(dir);
  packs.set(dir, { mtimeMs, pack });
  return pack;
}

const sessions = new Map<string, { pack: Pack; session: Promise<InferenceSession> }>();

/**
 * An ONNX session for one file of a loaded pack, kept for the worker's lifetime: opening a large hypernetwork
 * takes seconds, and a graph re-run with a new release or strength should not pay that again. A reloaded pack
 * (new manifest) gets a new session.
 */
export function workerSession(pack: Pack, file: string): Promise<InferenceSession> {
  const key = `${pack.dir}\u0000${file}`;
  const cached = sessions.get(key);
  if (cached !== undefined && cached.pack === pack) return cached.session;
  const session = new SessionFactory('auto').open(pack.filePath(file), file);
  sessions.set(key, { pack, session });
  session.catch(() => sessions.delete(key));
  return session;
}
