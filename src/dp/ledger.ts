/**
 * The privacy ledger: per-image zCDP budgets, charged durably before any noisy value leaves.
 *
 * Ordering (DESIGN.md §3; dp.md §9 "reserve budget before sampling noise, persist before returning, fail
 * closed"): one `BEGIN IMMEDIATE` transaction runs the idempotence lookup, the budget check of every image,
 * the caller's `compute` (which samples the DP noise), the insert of the charges and of the value, and the
 * COMMIT (synchronous=FULL); only then is the value returned. A crash before COMMIT leaves nothing charged
 * and nothing returned; a crash after it leaves the charge and the value stored, and a repeat of the same
 * request returns that value for free. So the ledger can over-count, never under-count. The write lock
 * serialises releases across processes, and an in-process lock per database file serialises them within one.
 *
 * Accounting: ρ-zCDP adds under composition (Bun & Steinke 2016, Lemma 2.3); each image's total is rounded
 * up at every addition, and a budget (ε, δ) is met when ε(ρ_total, δ) ≤ ε by the conversion of ./zcdp.ts
 * (itself rounded up). Only public quantities appear in results and messages: never an image count.
 */
import { DpHyperLoraError } from '../errors.js';
import { logger } from '../log/logger.js';
import { canonicalJson, imageIdFromPixels, isImageId, setFingerprint, type ImageId, type JsonValue } from './identity.js';
import { defaultLedgerPath, LedgerStore, type StoredRelease } from './ledger-store.js';
import { delta as makeDelta, epsilon as makeEpsilon, type Delta, type Epsilon, type Rho } from './types.js';
import { epsilonFromRho, rhoForEpsilon } from './zcdp.js';
import { addRoundingUp, budgetExhausted, maxOf } from './ledger-budget.js';
import { cliInvocation } from '../cli-invocation.js';

export type { ImageId, JsonValue } from './identity.js';
export { defaultLedgerPath } from './ledger-store.js';

const log = logger('ledger');

/** A per-image privacy budget: every image may take part in releases whose composition stays (ε, δ)-DP. */
export interface PrivacyBudget {
  readonly epsilon: Epsilon;
  readonly delta: Delta;
}

/** The budget of a new ledger unless told otherwise: ε = 10 at δ = 1e-5 per image (docs/ledger.md). */
export const DEFAULT_BUDGET: PrivacyBudget = Object.freeze({ epsilon: 10 as Epsilon, delta: 1e-5 as Delta });

/** Options of {@link openLedger}. */
export interface LedgerOptions {
  /** Create the ledger (database and key) when none exists at the path. Default true. */
  create?: boolean;
  /** How long to wait for another process's write lock, in milliseconds. Default 10 000. */
  busyTimeoutMs?: number;
  /** Per-image budget of a newly created ledger. Default {@link DEFAULT_BUDGET}; ignored for an existing one. */
  initialBudget?: { epsilon: number; delta: number };
}

/** A request to release a DP value computed from a set of images. */
export interface LedgerReleaseRequest<T extends JsonValue> {
  /** The images the value is computed from, from {@link Ledger.identify}; each once, in any order. */
  imageIds: readonly ImageId[];
  /** Public parameters that determine the release (ε, δ, relation, C, pack id, encoder hash, …). */
  params: { readonly [key: string]: JsonValue };
  /** Release number (integer ≥ 1): bump it to ask, and pay, for a fresh release of the same thing. */
  releaseNumber: number;
  /** zCDP ρ that this release costs each image of the set. */
  rho: Rho;
  /**
   * The ρ that must still fit every image's budget for this call to go ahead (≥ rho; default rho). The first part of
   * a release made in two parts (the noisy count, then the sum) passes the whole release's ρ here, so that it never
   * charges its part when the rest could not follow. Only `rho` is charged.
   */
  mustFitRho?: Rho;
  /**
   * Runs the DP release (samples the noise) and returns its public output. Called only when the budget
   * allows, inside the ledger's write lock: keep it short and do not use the ledger from inside it. If it
   * throws, nothing is charged or stored and the error is passed on.
   */
  compute: () => T | Promise<T>;
}

/** The remaining budget of the most-spent image (in a set, or in the whole ledger). */
export interface RemainingBudget {
  /** ε of the largest single further release that still fits, at `delta`. */
  readonly epsilon: Epsilon;
  /** The budget's δ. */
  readonly delta: Delta;
  /** The same room in zCDP ρ. */
  readonly rho: Rho;
}

/** What {@link Ledger.release} returns. */
export interface LedgerReleaseOutcome<T extends JsonValue> {
  /** The ledger's id of the release (for `dp-hyperlora ledger show`). */
  readonly releaseId: number;
  /** The DP output: computed now, or the stored one of an identical earlier release. */
  readonly value: T;
  /** False when this was a repeat of a stored release, which costs nothing. */
  readonly charged: boolean;
  /** ρ charged to every image of the set by this call (0 for a repeat). */
  readonly rhoCharged: Rho;
  /** `rhoCharged` as ε at the budget's δ. */
  readonly epsilonCharged: Epsilon;
  /** Room left for the most-spent image of this set, after this call. */
  readonly remaining: RemainingBudget;
}

/** A release as listed: public parameters and costs, never the size of its set. */
export interface ReleaseSummary {
  readonly releaseId: number;
  /** ISO 8601 time at which it was charged. */
  readonly createdAt: string;
  readonly releaseNumber: number;
  readonly params: JsonValue;
  /** ρ charged to each image of its set. */
  readonly rho: Rho;
  /** `rho` as ε at the ledger budget's δ. */
  readonly epsilon: Epsilon;
  /** The ledger budget's δ used for `epsilon`. */
  readonly delta: Delta;
  /** First 12 hex digits of the keyed set fingerprint: equal for releases on the same set of images. */
  readonly set: string;
}

/** A release with its stored DP output. */
export interface ReleaseDetail extends ReleaseSummary {
  readonly value: JsonValue;
}

/** The ledger's budget state, as aggregates that do not reveal any set's size. */
export interface BudgetReport {
  readonly budget: PrivacyBudget;
  /** The budget as zCDP ρ (the largest ρ whose ε at δ stays within it). */
  readonly budgetRho: Rho;
  /** The most-spent image in the whole ledger. */
  readonly mostSpentImage: { readonly spentRho: Rho; readonly spentEpsilon: Epsilon; readonly remaining: RemainingBudget };
  readonly releaseCount: number;
}

/** A point in a release where the test seam may pause or kill the process. */
export type ReleaseStep = 'before-begin' | 'after-budget-check' | 'after-insert' | 'after-commit';

// One queue per database file: releases of one process run one at a time, so an async `compute` never
// shares its open transaction with another call, and two Ledger objects on one file never block the event
// loop on each other's lock (better-sqlite3 waits for a lock synchronously).
const pathQueues = new Map<string, Promise<void>>();

async function withPathLock<T>(path: string, fn: () => T | Promise<T>): Promise<T> {
  const previous = pathQueues.get(path) ?? Promise.resolve();
  let release: () => void = () => undefined;
  const mine = new Promise<void>((resolve) => { release = resolve; });
  const tail = previous.then(() => mine);
  pathQueues.set(path, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (pathQueues.get(path) === tail) pathQueues.delete(path);
  }
}

let stepHook: ((step: ReleaseStep) => void) | undefined;

/**
 * Test seam (not exported from src/dp/index.ts): `hook` runs synchronously at each {@link ReleaseStep}, so
 * a child process can stop there and be killed. Pass undefined to remove it.
 */
export function setReleaseStepHookForTesting(hook: ((step: ReleaseStep) => void) | undefined): void {
  stepHook = hook;
}

function remainingAfter(spentRho: number, budget: PrivacyBudget, budgetRho: Rho): RemainingBudget {
  const room = Math.max(0, budgetRho - spentRho) as Rho;
  return { epsilon: epsilonFromRho(room, budget.delta), delta: budget.delta, rho: room };
}

function checkRequest(request: LedgerReleaseRequest<JsonValue>): { ids: ImageId[]; paramsJson: string } {
  const problems: string[] = [];
  const ids = Array.isArray(request.imageIds) ? [...request.imageIds] : [];
  if (ids.length === 0) problems.push('imageIds must list at least one image id');
  if (!ids.every((id) => isImageId(id))) problems.push('every image id must be 64 lowercase hex digits, as made by Ledger.identify()');
  if (new Set(ids).size !== ids.length) {
    problems.push('the set holds the same image (identical pixels) more than once; remove duplicates, because a repeated image would spend more privacy than one charge covers');
  }
  if (!Number.isSafeInteger(request.releaseNumber) || request.releaseNumber < 1) problems.push(`releaseNumber must be an integer >= 1, got ${String(request.releaseNumber)}`);
  if (!Number.isFinite(request.rho) || !(request.rho > 0)) problems.push(`rho must be a finite number > 0, got ${String(request.rho)}`);
  if (request.mustFitRho !== undefined && !(request.mustFitRho >= request.rho && Number.isFinite(request.mustFitRho))) {
    problems.push(`mustFitRho must be a finite number >= rho, got ${String(request.mustFitRho)}`);
  }
  if (typeof request.compute !== 'function') problems.push('compute must be a function that runs the DP release');
  let paramsJson = '';
  try {
    paramsJson = canonicalJson(request.params, 'release parameters');
    if (request.params === null || typeof request.params !== 'object' || Array.isArray(request.params)) problems.push('params must be a plain object');
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
  }
  if (problems.length > 0) throw new DpHyperLoraError('INVALID_ARGUMENT', `invalid release request: ${problems.join('; ')}.`);
  return { ids, paramsJson };
}

/** An open privacy ledger. Create it with {@link openLedger}; close it when done. */
export class Ledger {
  readonly #store: LedgerStore;

  /** @internal use {@link openLedger}. */
  constructor(store: LedgerStore) {
    this.#store = store;
  }

  /** Absolute path of the ledger database. */
  get path(): string {
    return this.#store.path;
  }

  /** The ledger identity of a decoded image (see ./identity.ts for the exact pixel encoding). */
  identify(pixels: Uint8Array, width: number, height: number, channels: number): ImageId {
    return imageIdFromPixels(this.#store.key, pixels, width, height, channels);
  }

  /**
   * Releases a DP value, charging `rho` to every image of the set first (see the module comment for the
   * order). A repeat of a stored (set, params, releaseNumber) returns the stored value and charges nothing.
   * Rejects with BUDGET_EXHAUSTED, before `compute` runs, when any image would exceed its budget.
   */
  async release<T extends JsonValue>(request: LedgerReleaseRequest<T>): Promise<LedgerReleaseOutcome<T>> {
    const { ids, paramsJson } = checkRequest(request);
    const fingerprint = setFingerprint(this.#store.key, ids);
    return withPathLock(this.#store.path, async () => {
      stepHook?.('before-begin');
      this.#store.beginImmediate();
      try {
        return await this.#releaseLocked(request, ids, fingerprint, paramsJson);
      } catch (e) {
        this.#store.rollback();
        throw e;
      }
    });
  }

  async #releaseLocked<T extends JsonValue>(request: LedgerReleaseRequest<T>, ids: ImageId[], fingerprint: string, paramsJson: string): Promise<LedgerReleaseOutcome<T>> {
    const store = this.#store;
    const budget = this.#budget();
    const budgetRho = rhoForEpsilon(budget.epsilon, budget.delta);
    const spent = store.spentRho(ids);
    const stored = store.findRelease(fingerprint, paramsJson, request.releaseNumber);
    if (stored !== undefined) {
      store.commit();
      if (stored.rho !== request.rho) log.warn(`release ${stored.releaseId} was stored with ρ=${stored.rho}, now requested with ρ=${request.rho}; returning the stored value, charging nothing`);
      return this.#outcome(stored, false, maxOf(spent), budget, budgetRho);
    }
    const newSpent = spent.map((s) => addRoundingUp(s, request.rho));
    // Every image has the ledger's one budget, so the most-spent image of the set decides for all of them.
    const newMax = maxOf(newSpent);
    const mustFit = request.mustFitRho ?? request.rho;
    const checkMax = mustFit === request.rho ? newMax : addRoundingUp(maxOf(spent), mustFit);
    if (epsilonFromRho(checkMax as Rho, budget.delta) > budget.epsilon) {
      throw budgetExhausted({
        path: store.path, budget, releaseRho: mustFit, releaseEpsilon: epsilonFromRho(mustFit, budget.delta),
        remaining: remainingAfter(maxOf(spent), budget, budgetRho), requiredEpsilon: epsilonFromRho(checkMax as Rho, budget.delta),
      });
    }
    stepHook?.('after-budget-check');
    const valueJson = canonicalJson(await request.compute(), 'the release value returned by compute');
    const releaseId = store.insertRelease({ setFingerprint: fingerprint, paramsJson, releaseNumber: request.releaseNumber, rho: request.rho, valueJson });
    store.chargeImages(releaseId, ids, newSpent);
    stepHook?.('after-insert');
    store.commit();
    stepHook?.('after-commit');
    const row = { releaseId, createdAt: '', setFingerprint: fingerprint, paramsJson, releaseNumber: request.releaseNumber, rho: request.rho, valueJson };
    return this.#outcome(row, true, newMax, budget, budgetRho);
  }

  #outcome<T extends JsonValue>(row: StoredRelease, charged: boolean, setMaxSpent: number, budget: PrivacyBudget, budgetRho: Rho): LedgerReleaseOutcome<T> {
    const rhoCharged = (charged ? row.rho : 0) as Rho;
    return {
      releaseId: row.releaseId,
      value: JSON.parse(row.valueJson) as T,
      charged,
      rhoCharged,
      epsilonCharged: epsilonFromRho(rhoCharged, budget.delta),
      remaining: remainingAfter(setMaxSpent, budget, budgetRho),
    };
  }

  #budget(): PrivacyBudget {
    const b = this.#store.readBudget();
    return { epsilon: b.epsilon as Epsilon, delta: b.delta as Delta };
  }

  #summary(row: StoredRelease, budget: PrivacyBudget): ReleaseSummary {
    return {
      releaseId: row.releaseId, createdAt: row.createdAt, releaseNumber: row.releaseNumber,
      params: JSON.parse(row.paramsJson) as JsonValue, rho: row.rho as Rho,
      epsilon: epsilonFromRho(row.rho as Rho, budget.delta), delta: budget.delta, set: row.setFingerprint.slice(0, 12),
    };
  }

  /**
   * The stored value of an earlier release of exactly this (set, params, releaseNumber), or undefined; charges
   * nothing. Lets a caller that changed how it releases recognise releases made the old way, so that a repeat
   * stays free.
   */
  lookup(imageIds: readonly ImageId[], params: { readonly [key: string]: JsonValue }, releaseNumber: number): JsonValue | undefined {
    const { ids, paramsJson } = checkRequest({ imageIds, params, releaseNumber, rho: 1 as Rho, compute: () => null });
    const row = this.#store.findRelease(setFingerprint(this.#store.key, ids), paramsJson, releaseNumber);
    return row === undefined ? undefined : JSON.parse(row.valueJson) as JsonValue;
  }

  /** Every release, oldest first, without stored values and without any set size. */
  list(): ReleaseSummary[] {
    const budget = this.#budget();
    return this.#store.listReleases().map((row) => this.#summary(row, budget));
  }

  /** One release with its stored DP output; INVALID_ARGUMENT when no release has this id. */
  show(releaseId: number): ReleaseDetail {
    const row = Number.isSafeInteger(releaseId) ? this.#store.getRelease(releaseId) : undefined;
    if (row === undefined) {
      throw new DpHyperLoraError('INVALID_ARGUMENT', `no release with id ${String(releaseId)} in the ledger at ${this.path}. Run ${cliInvocation()} ledger list to see the ids.`);
    }
    return { ...this.#summary(row, this.#budget()), value: JSON.parse(row.valueJson) as JsonValue };
  }

  /** The per-image budget and the most-spent image's state (aggregates only). */
  budget(): BudgetReport {
    const budget = this.#budget();
    const budgetRho = rhoForEpsilon(budget.epsilon, budget.delta);
    const spentRho = this.#store.maxSpentRho() as Rho;
    return {
      budget,
      budgetRho,
      mostSpentImage: { spentRho, spentEpsilon: epsilonFromRho(spentRho, budget.delta), remaining: remainingAfter(spentRho, budget, budgetRho) },
      releaseCount: this.#store.releaseCount(),
    };
  }

  /**
   * Sets the per-image budget of every image (ε > 0, 0 < δ < 1). Raising it weakens the guarantee for
   * every image; lowering it below what an image has spent stops further releases that include it.
   */
  async setBudget(budget: { epsilon: number; delta: number }): Promise<BudgetReport> {
    const next = { epsilon: makeEpsilon(budget.epsilon), delta: makeDelta(budget.delta) };
    if (next.epsilon === 0) throw new DpHyperLoraError('INVALID_ARGUMENT', 'the budget epsilon must be > 0, got 0; pass the total privacy loss each image may take, such as 10.');
    await withPathLock(this.#store.path, () => {
      this.#store.beginImmediate();
      try {
        this.#store.writeBudget(next);
        this.#store.commit();
      } catch (e) {
        this.#store.rollback();
        throw e;
      }
    });
    return this.budget();
  }

  /** A consistent online copy of the database at `destination` (the key is not copied: see src/cli/ledger-backup.ts). */
  backupDatabase(destination: string): Promise<void> {
    return this.#store.backupDatabase(destination);
  }

  /** Closes the database. */
  close(): void {
    this.#store.close();
  }
}

/**
 * Opens the ledger at `path` (default {@link defaultLedgerPath}), creating it and its 0600 key file when
 * none exists (unless `create: false`). Refuses corrupt (LEDGER_CORRUPT), foreign or newer (LEDGER_FOREIGN)
 * and keyless (LEDGER_KEY_MISSING) ledgers; never resets one.
 */
export function openLedger(path: string = defaultLedgerPath(), options: LedgerOptions = {}): Ledger {
  const initial = options.initialBudget ?? DEFAULT_BUDGET;
  const initialBudget = { epsilon: makeEpsilon(initial.epsilon), delta: makeDelta(initial.delta) };
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `busyTimeoutMs must be an integer >= 0 (milliseconds), got ${String(busyTimeoutMs)}.`);
  }
  return new Ledger(LedgerStore.open(path, { create: options.create ?? true, busyTimeoutMs, initialBudget }));
}
