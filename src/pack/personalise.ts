/**
 * The whole personalisation as one library call, used by the CLI (`generate`, `demo`, `eval`): private images →
 * {@link releaseDatasetEmbedding} (the privacy boundary: the only step that sees private data, and it returns
 * only public values) → {@link loraFromEmbedding} (post-processing) → LoRA bytes with DP metadata, plus a report
 * in two parts by type:
 * - `report.public` (PublicReport): shareable; the only part that may go to --json output, report files, LoRA
 *   metadata or ComfyUI. Built from public values only: ε, δ, σ's, the relation, the noisy count (a DP output),
 *   the ledger's receipt, the pack and provider.
 * - `report.local` (LocalOnlyReport): exact counts, timings and paths; PRIVATE, for this machine's terminal only.
 */
import type * as ort from 'onnxruntime-node';
import { DpHyperLoraError } from '../errors.js';
import { logger } from '../log/logger.js';
import type { Ledger } from '../dp/ledger.js';
import type { ReleasePlan } from '../dp/release.js';
import { clipNorm as makeClipNorm, type ClipNorm, type Delta, type Epsilon, type NeighbouringRelation } from '../dp/types.js';
import { downKey, metadataToHeader, serializeSafetensors, upKey, type LoraMetadata, type NamedFloatTensor } from '../lora/index.js';
import { VERSION } from '../version.js';
import type { ImageInput } from './image-source.js';
import { packLayout } from './layout-check.js';
import { loraFromEmbedding, loraMetadata } from './lora-from-embedding.js';
import { loadPack, type Pack } from './manifest.js';
import { noiseAssessment, type NoiseAssessment } from './noise-range.js';
import { packEncoderSource, type PackSourceFacts, type PackSourceLocal } from './pack-encoder-source.js';
import { releaseDatasetEmbedding, type DatasetRelease, type DpDatasetEmbedding, type LedgerReceipt, type LocalReleaseFacts } from './release-embedding.js';
import { SessionFactory, type ProviderChoice, type ProviderResolution } from './sessions.js';

const log = logger('pack');

/** Inputs of {@link makeDpLora}; privacy quantities are branded at the CLI edge. */
export interface MakeDpLoraOptions {
  readonly images: ImageInput;
  /** A loaded pack, or the folder of one. */
  readonly pack: Pack | string;
  readonly epsilon: Epsilon;
  readonly delta: Delta;
  readonly relation: NeighbouringRelation;
  /** Release number ≥ 1: the same number on the same set and parameters returns the stored release for free. */
  readonly releaseNumber: number;
  /** The open privacy ledger to charge (the caller opens and closes it). */
  readonly ledger: Ledger;
  readonly provider?: ProviderChoice;
  /** Per-image L2 clip norm C of the embeddings; default the pack's dp.clipNorm. */
  readonly clipNorm?: ClipNorm;
  readonly signal?: AbortSignal;
  /** Local terminal only (PRIVATE): listing, unreadable files, exact progress. */
  readonly local?: Omit<PackSourceLocal, 'onFinished'>;
  /** Public warnings (noise outside the pack's trained range, …), also collected in report.public. */
  readonly onWarning?: (message: string) => void;
}

/** Milliseconds per stage: PRIVATE (embedding time grows with n). */
export interface StageTimings {
  readonly loadPackMs: number;
  readonly listMs: number;
  readonly embedMs: number;
  /** Part of embedMs spent awaiting encoder.run (bench/time-to-lora.ts measures the encoder alone). */
  readonly encoderMs: number;
  readonly releaseMs: number;
  readonly hypernetMs: number;
  readonly assembleMs: number;
  readonly totalMs: number;
}

/** The shareable half of a report: public values only (no names, paths, timings or exact counts). */
export interface PublicReport {
  readonly privacy: {
    /** ε asked for; `epsilon` is the guarantee actually met (≤ the request, from the exact noise scales). */
    readonly epsilonRequested: number;
    readonly epsilon: number;
    readonly delta: number;
    readonly relation: NeighbouringRelation['kind'];
    /** replace-one only: the declared public dataset size. */
    readonly declaredN?: number;
    readonly countTreatment: 'noisy-count' | 'public-n';
    readonly clipNorm: number;
    /** The noise mechanism of src/dp (discrete Gaussian on a grid, zCDP accounting). */
    readonly mechanism: string;
    readonly sigmaSum: number;
    readonly sigmaCount?: number;
    /** add-remove: the share of ρ spent on the noisy count. */
    readonly countShare?: number;
    /** zCDP ρ of the release, charged to every image of the set. */
    readonly rho: number;
    /** add-remove: the noisy count (a DP output) used as the mean's denominator. */
    readonly noisyCount?: number;
    readonly noise: NoiseAssessment;
  };
  readonly ledger: LedgerReceipt;
  readonly pack: { readonly id: string; readonly version: string; readonly target: string; readonly layout: string };
  readonly provider: ProviderResolution;
  readonly warnings: readonly string[];
  readonly toolVersion: string;
}

/** The PRIVATE half of a report: exact counts, timings and paths, for this machine's terminal only. */
export interface LocalOnlyReport {
  /** The exact n: distinct images whose embeddings were summed. */
  readonly imagesUsed: number;
  /** Files not used, by kind (counts only; the names were shown on the terminal as they came). */
  readonly files: { readonly unreadable: number; readonly duplicates: number; readonly otherFiles: number; readonly hiddenFiles: number; readonly subfolders: number };
  readonly ledgerPath: string;
  readonly timings: StageTimings;
}

/** A report in two parts by type: `public` may be shared, `local` must not leave this machine's terminal. */
export interface DpLoraReport {
  readonly public: PublicReport;
  readonly local: LocalOnlyReport;
}

/** What {@link makeDpLora} returns. */
export interface DpLoraResult {
  /** The .safetensors bytes (kohya keys, DP metadata). */
  readonly lora: Uint8Array;
  readonly metadata: LoraMetadata;
  /** The public DP dataset embedding fed to the hypernetwork. */
  readonly embedding: DpDatasetEmbedding;
  /** The LoRA factors by tensor name (the hypernetwork's outputs), e.g. for injection into a sampler. */
  readonly factors: Readonly<Record<string, NamedFloatTensor>>;
  readonly report: DpLoraReport;
  readonly pack: Pack;
}

/** Opens the encoder and the hypernetwork, checking the hypernetwork's outputs before any budget is spent. */
async function openSessions(pack: Pack, provider: ProviderChoice): Promise<{ sessions: SessionFactory; encoder: ort.InferenceSession; hypernet: ort.InferenceSession }> {
  const m = pack.manifest;
  const sessions = new SessionFactory(provider);
  const encoder = await sessions.open(pack.filePath(m.encoder.file), m.encoder.file);
  const hypernet = await sessions.open(pack.filePath(m.hypernet.file), m.hypernet.file);
  const missing = packLayout(m).modules.flatMap((mod) => [downKey(mod.key), upKey(mod.key)]).filter((name) => !hypernet.outputNames.includes(name));
  if (missing.length > 0) {
    await encoder.release();
    await hypernet.release();
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `the pack's models do not match manifest.json: ${m.hypernet.file} lacks ${missing.length} LoRA output(s) such as ${missing[0]} (field lora.modules). Re-export the pack.`,
      { details: { file: m.hypernet.file } });
  }
  return { sessions, encoder, hypernet };
}

/** The public half of the report, from public values only. */
function publicReport(pack: Pack, release: DatasetRelease, noise: NoiseAssessment, provider: ProviderResolution, warnings: readonly string[]): PublicReport {
  const plan: ReleasePlan = release.plan;
  const relation = plan.request.relation;
  const m = pack.manifest;
  return {
    privacy: {
      epsilonRequested: plan.request.epsilon, epsilon: plan.epsilon, delta: plan.delta, relation: relation.kind,
      ...(relation.kind === 'replace-one' ? { declaredN: relation.n } : {}),
      countTreatment: relation.kind === 'add-remove' ? 'noisy-count' : 'public-n', clipNorm: plan.request.clipNorm,
      mechanism: plan.mechanism, sigmaSum: plan.sigmaSum,
      ...(plan.sigmaCount !== null ? { sigmaCount: plan.sigmaCount, countShare: plan.countShare ?? 0 } : {}), rho: plan.rhoTotal,
      ...(release.noisyCount !== null ? { noisyCount: release.noisyCount } : {}), noise,
    },
    ledger: release.receipt,
    pack: { id: m.id, version: m.version, target: m.target, layout: m.lora.layout },
    provider, warnings, toolVersion: VERSION,
  };
}

/** Runs one personalisation end to end (see the module comment). */
export async function makeDpLora(o: MakeDpLoraOptions): Promise<DpLoraResult> {
  const t0 = performance.now();
  const warnings: string[] = [];
  const warn = (msg: string): void => { warnings.push(msg); o.onWarning?.(msg); };
  const pack = typeof o.pack === 'string' ? await loadPack(o.pack) : o.pack;
  const m = pack.manifest;
  const tPack = performance.now();
  const { sessions, encoder, hypernet } = await openSessions(pack, o.provider ?? 'auto');
  try {
    let sourceFacts: PackSourceFacts | undefined;
    let releaseFacts: LocalReleaseFacts | undefined;
    const source = packEncoderSource({
      pack, images: o.images, encoder, clipNorm: o.clipNorm ?? makeClipNorm(m.dp.clipNorm),
      local: { ...o.local, onFinished: (f) => { sourceFacts = f; } },
    });
    const release = await releaseDatasetEmbedding(source, {
      epsilon: o.epsilon, delta: o.delta, relation: o.relation, releaseNumber: o.releaseNumber, ledger: o.ledger,
      ...(o.signal !== undefined ? { signal: o.signal } : {}), onLocalFacts: (f) => { releaseFacts = f; },
    });
    const tRelease = performance.now();
    const n = release.noisyCount ?? (o.relation.kind === 'replace-one' ? o.relation.n : undefined);
    const noise = noiseAssessment(release.plan, m.dp.trainedNoise, n);
    if (noise.warning !== undefined) warn(noise.warning);
    const made = await loraFromEmbedding({ pack, hypernet, embedding: release.embedding });
    const tHyper = performance.now();
    const metadata = loraMetadata(pack, release.plan, o.releaseNumber);
    const lora = serializeSafetensors(made.tensors, metadataToHeader(metadata));
    const tEnd = performance.now();
    log.debug(`release ${release.receipt.releaseId}: ${release.receipt.charged ? 'charged' : 'repeat, not charged'}`);
    const sf = sourceFacts as PackSourceFacts;
    const rf = releaseFacts as LocalReleaseFacts;
    const local: LocalOnlyReport = {
      imagesUsed: rf.imagesUsed,
      files: { unreadable: sf.unreadable, duplicates: sf.duplicates + rf.duplicatesDropped, otherFiles: sf.otherFiles, hiddenFiles: sf.hiddenFiles, subfolders: sf.subfolders },
      ledgerPath: o.ledger.path,
      timings: {
        loadPackMs: tPack - t0, listMs: sf.listMs, embedMs: rf.embedMs - sf.listMs, encoderMs: sf.encoderMs, releaseMs: rf.releaseMs,
        hypernetMs: tHyper - tRelease, assembleMs: tEnd - tHyper, totalMs: tEnd - t0,
      },
    };
    return {
      lora, metadata, embedding: release.embedding, factors: made.factors, pack,
      report: { public: publicReport(pack, release, noise, sessions.provider, warnings), local },
    };
  } finally {
    await encoder.release();
    await hypernet.release();
  }
}
