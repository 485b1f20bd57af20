/**
 * Conditioning packs for the worker's nodes: located like any pack (the bridge's path, else --packs folders) and
 * cached per folder until its manifest.json changes.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConditioningPack, type ConditioningPack } from '../conditioning/pack.js';
import type { WorkerSettings } from './node-definition.js';
import { locatePack } from './resources.js';

const cache = new Map<string, { mtimeMs: number; pack: ConditioningPack }>();

/** Loads (and caches) the conditioning pack chosen as {name, path}. */
export async function workerConditioningPack(ref: { name: string; path: string | null }, settings: WorkerSettings): Promise<ConditioningPack> {
  const dir = await locatePack(ref, settings);
  const mtimeMs = (await stat(join(dir, 'manifest.json')).catch(() => ({ mtimeMs: -1 }))).mtimeMs;
  const cached = cache.get(dir);
  if (cached !== undefined && cached.mtimeMs === mtimeMs) return cached.pack;
  const pack = await loadConditioningPack(dir);
  cache.set(dir, { mtimeMs, pack });
  return pack;
}
