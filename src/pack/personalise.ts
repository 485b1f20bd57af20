/**
 * The whole personalisation as one library call, used by the CLI (`generate`, `demo`, `eval`) and by the ComfyUI
 * worker: private images → ledger identities + streamed, clipped embeddings → one DP release (the ledger is
 * charged first; a repeat of the same set, parameters and release number is free and returns the stored value)
 * → the public DP embedding → hypernetwork → LoRA bytes with DP metadata, plus a report.
 *
 * Privacy boundary: everything before the release sees private data; nothing private leaves this function. The
 * report and the metadata carry public quantities only: ε, δ, σ's, the relation, the noisy count (itself a DP
 * output), counts of unreadable/hidden files, timings. Never file names, paths of images, or the exact n under
 * add/remove (under replace-one n is public by the user's declaration, and appears as such).
 */
import { DpHyperLoraError } from '../errors.js';
import { logger } from '../log/logger.js';
import type * as ort from 'onnxruntime-node';
import type { Ledger, LedgerReleaseOutcome } from '../dp/ledger.js';
import type { ImageId } from '../dp/identity.js';
import type { NeighbouringRelation } from '../dp/types.js';
import { downKey, loraToSafetensors, upKey, type LoraMetadata, type NamedFloatTensor } from '../lora/index.js';
import { VERSION } from '../version.js';
import { embedStream } from './embed.js';
import { runHypernet } from './hypernet.js';
import type { FolderListing } from './image-folder.js';
import { resolveImageInput, throwIfCancelled, type ImageInput } from './image-source.js';
import { packLayout } from './layout-check.js';
import { loadPack, type Pack } from './manifest.js';
import { noiseAssessment, type NoiseAssessment } from './noise-range.js';
import { newClippedSum, planRelease, releaseMeanEmbedding, type ReleasePlan, type ReleasedEmbedding } from './dp-release.js';
import { SessionFactory, type ProviderChoice, type ProviderResolution } from './sessions.js';

const log = logger('pack');

/** Inputs of {@link makeDpLora}. */
export interface MakeDpLoraOptions {
  readonly images: ImageInput;
  /** A loaded pack, or the folder of one. */
  readonly pack: Pack | string;
  readonly epsilon: number;
  readonly delta: number;
  readonly relation: NeighbouringRelation;
  /** Release number ≥ 1: the same number on the same set and parameters returns the stored release for free. */
  readonly releaseNumber: number;
  /** The open privacy ledger to charge (the caller opens and closes it). */
  readonly ledger: Ledger;
  readonly provider?: ProviderChoice;
  /** Per-image L2 clip norm C of the embeddings; default the pack's dp.clipNorm. */
  readonly clipNorm?: number;
  readonly signal?: AbortSignal;
  /** Local display only: the folder listing (with private names) before anything runs. */
  readonly onListing?: (listing: FolderListing) => void;
  /** Local display only: each file that failed to decode during the stream. */
  readonly onUnreadableFile?: (label: string, reason: string) => void;
  /** Local display only: progress (images embedded so far, expected total when known). */
  readonly onProgress?: (done: number, total: number | undefined) => void;
  /** Public warnings (n too small for the trained noise range, …), also collected in the report. */
  readonly onWarning?: (message: string) => void;
}

/** Milliseconds per stage. */
export interface StageTimings {
  readonly loadPackMs: number;
  readonly listMs: number;
  readonly embedMs: number;
  /**
   * Part of embedMs spent awaiting encoder.run: the encoder's forward passes plus any scheduling delay (onnxruntime-node
   * runs a session synchronously from a setImmediate callback). bench/time-to-lora.ts measures the encoder alone.
   */
  readonly encoderMs: number;
  readonly releaseMs: number;
  readonly hypernetMs: number;
  readonly assembleMs: number;
  readonly totalMs: number;
}

/** The public report of one personalisation (safe to share: no names, no exact n under add/remove). */
export interface DpLoraReport {
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
  readonly ledger: {
    readonly path: string;
    readonly releaseId: number;
    readonly releaseNumber: number;
    readonly charged: boolean;
    readonly epsilonCharged: number;
    readonly remaining: { readonly epsilon: number; readonly delta: number };
  };
  readonly pack: { readonly id: string; readonly version: string; readonly target: string; readonly layout: string };
  readonly provider: ProviderResolution;
  /**
   * Counts only (never names) of what was not used: image files that could not be decoded (--on-unreadable skip),
   * files without an image extension, hidden files, sub-folders.
   */
  readonly files: { readonly unreadable: number; readonly duplicates: number; readonly otherFiles: number; readonly hiddenFiles: number; readonly subfolders: number };
  readonly warnings: readonly string[];
  readonly timings: StageTimings;
  readonly toolVersion: string;
}

/** What {@link makeDpLora} returns. */
export interface DpLoraResult {
  /** The .safetensors bytes (kohya keys, DP metadata). */
  readonly lora: Uint8Array;
  readonly metadata: LoraMetadata;
  /** The public DP mean embedding fed to the hypernetwork. */
  readonly embedding: Float32Array;
  /** The LoRA factors by tensor name (the hypernetwork's outputs), e.g. for injection into a sampler. */
  readonly factors: Readonly<Record<string, NamedFloatTensor>>;
  readonly report: DpLoraReport;
  readonly pack: Pack;
}

/** The parameters that make a release what it is (the ledger's idempotence key, all public). */
function releaseParams(pack: Pack, plan: ReleasePlan): Record<string, string | number> {
  const m = pack.manifest;
  const { request } = plan;
  return {
    mechanism: `dp-deepsets-${plan.mechanism}`, epsilon: request.epsilon, delta: request.delta, relation: request.relation.kind,
    ...(request.relation.kind === 'replace-one' ? { n: request.relation.n } : {}),
    clipNorm: request.clipNorm, packId: m.id, packVersion: m.version,
    encoderSha256: m.files[m.encoder.file]?.sha256 ?? '', embeddingDim: m.embeddingDim,
  };
}

function metadataOf(pack: Pack, plan: ReleasePlan, releaseNumber: number): LoraMetadata {
  const m = pack.manifest;
  return {
    schema: 'dp-hyperlora.lora-metadata/1', mechanism: 'dp-deepsets-discrete-gaussian', rho: plan.rhoTotal,
    relation: plan.request.relation.kind, countTreatment: plan.request.relation.kind === 'add-remove' ? 'noisy-count' : 'public-n',
    epsilon: plan.epsilon, delta: plan.delta, clipNorm: plan.request.clipNorm, sigmaSum: plan.sigmaSum,
    ...(plan.sigmaCount !== null ? { sigmaCount: plan.sigmaCount } : {}),
    releaseNumber, packId: m.id, packVersion: m.version, layout: m.lora.layout, rank: m.lora.rank, alpha: m.lora.alpha, toolVersion: VERSION,
  };
}

interface ReportParts {
  readonly pack: Pack;
  readonly plan: ReleasePlan;
  readonly relation: NeighbouringRelation;
  readonly released: ReleasedEmbedding;
  readonly noise: NoiseAssessment;
  readonly outcome: LedgerReleaseOutcome<ReleasedEmbedding>;
  readonly releaseNumber: number;
  readonly ledgerPath: string;
  readonly provider: ProviderResolution;
  readonly files: DpLoraReport['files'];
  readonly warnings: readonly string[];
  readonly timings: StageTimings;
}

function buildReport(p: ReportParts): DpLoraReport {
  const { plan, relation, released, outcome } = p;
  const m = p.pack.manifest;
  return {
    privacy: {
      epsilonRequested: plan.request.epsilon, epsilon: plan.epsilon, delta: plan.delta, relation: relation.kind,
      ...(relation.kind === 'replace-one' ? { declaredN: relation.n } : {}),
      countTreatment: relation.kind === 'add-remove' ? 'noisy-count' : 'public-n', clipNorm: plan.request.clipNorm,
      mechanism: plan.mechanism, sigmaSum: plan.sigmaSum,
      ...(plan.sigmaCount !== null ? { sigmaCount: plan.sigmaCount, countShare: plan.countShare ?? 0 } : {}), rho: plan.rhoTotal,
      ...(released.noisyCount !== null ? { noisyCount: released.noisyCount } : {}), noise: p.noise,
    },
    ledger: {
      path: p.ledgerPath, releaseId: outcome.releaseId, releaseNumber: p.releaseNumber, charged: outcome.charged,
      epsilonCharged: outcome.epsilonCharged, remaining: { epsilon: outcome.remaining.epsilon, delta: outcome.remaining.delta },
    },
    pack: { id: m.id, version: m.version, target: m.target, layout: m.lora.layout },
    provider: p.provider, files: p.files, warnings: p.warnings, timings: p.timings, toolVersion: VERSION,
  };
}

/** Opens the encoder and the hypernetwork, checking the hypernetwork's outputs before any budget is spent. */
async function openSessions(pack: Pack, provider: ProviderChoice): Promise<{ sessions: SessionFactory; encoder: ort.InferenceSession; hypernet: ort.InferenceSession }> {
  const m = pack.manifest;
  const sessions = new SessionFactory(provider);
  const encoder = await sessions.open(pack.filePath(m.encoder.file), m.encoder.file);
  const hypernet = await sessions.open(pack.filePath(m.hypernet.file), m.hypernet.file);
  const missing = packLayout(m).modules.flatMap((mod) => [downKey(mod.key), upKey(mod.key)]).filter((name) => !hypernet.outputNames.includes(name));
  if (!encoder.inputNames.includes(m.encoder.inputName) || !encoder.outputNames.includes(m.encoder.outputName) || missing.length > 0) {
    await encoder.release();
    await hypernet.release();
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `the pack's models do not match manifest.json: ${missing.length > 0 ? `${m.hypernet.file} lacks ${missing.length} LoRA output(s) such as ${missing[0]} (field lora.modules)` : `${m.encoder.file} lacks input "${m.encoder.inputName}" or output "${m.encoder.outputName}" (fields encoder.inputName, encoder.outputName)`}. Re-export the pack.`,
      { details: { file: missing.length > 0 ? m.hypernet.file : m.encoder.file } });
  }
  return { sessions, encoder, hypernet };
}

/** Runs one personalisation end to end (see the module comment). */
export async function makeDpLora(o: MakeDpLoraOptions): Promise<DpLoraResult> {
  const t0 = performance.now();
  const warnings: string[] = [];
  const warn = (msg: string): void => { warnings.push(msg); o.onWarning?.(msg); };
  const pack = typeof o.pack === 'string' ? await loadPack(o.pack) : o.pack;
  const m = pack.manifest;
  const plan = planRelease({ epsilon: o.epsilon, delta: o.delta, relation: o.relation, clipNorm: o.clipNorm ?? m.dp.clipNorm, dim: m.embeddingDim });
  if (o.relation.kind === 'replace-one') {
    const early = noiseAssessment(plan, m.dp.trainedNoise, o.relation.n);
    if (early.warning !== undefined) warn(early.warning);
  }
  const tPack = performance.now();
  const input = await resolveImageInput(o.images, o.signal, o.onListing);
  const tList = performance.now();
  const { sessions, encoder, hypernet } = await openSessions(pack, o.provider ?? 'auto');
  try {
    const acc = newClippedSum(plan);
    const stream = await embedStream<ImageId>({
      tasks: input.tasks, encoder, inputName: m.encoder.inputName, outputName: m.encoder.outputName, spec: m.encoder,
      embeddingDim: m.embeddingDim, maxBatch: m.encoder.maxBatch, identify: (img) => o.ledger.identify(img.rgb, img.width, img.height, 3),
      sink: (rows, count, dim) => acc.addRows(rows, count, dim), onUnreadable: input.onUnreadable,
      onUnreadableFile: o.onUnreadableFile, onProgress: (done) => o.onProgress?.(done, input.expected),
    });
    throwIfCancelled(o.signal);
    checkImageCount(stream.ids.length, stream.skipped, o.relation);
    const tEmbed = performance.now();
    const outcome = await o.ledger.release<ReleasedEmbedding>({
      imageIds: stream.ids, params: releaseParams(pack, plan), releaseNumber: o.releaseNumber, rho: plan.rhoTotal,
      compute: () => releaseMeanEmbedding(acc.sum, plan),
    });
    const released = outcome.value;
    const tRelease = performance.now();
    const noise = noiseAssessment(plan, m.dp.trainedNoise, released.noisyCount ?? (o.relation.kind === 'replace-one' ? o.relation.n : undefined));
    if (noise.warning !== undefined && o.relation.kind === 'add-remove') warn(noise.warning);
    const embedding = Float32Array.from(released.embedding);
    const outputs = await runHypernet(hypernet, m.hypernet.inputName, embedding);
    const tHyper = performance.now();
    const metadata = metadataOf(pack, plan, o.releaseNumber);
    const lora = loraToSafetensors({ outputs, layout: packLayout(m), rank: m.lora.rank, alpha: m.lora.alpha, metadata });
    const tEnd = performance.now();
    log.debug(`release ${outcome.releaseId}: ${outcome.charged ? 'charged' : 'repeat, not charged'}`);
    const report = buildReport({
      pack, plan, relation: o.relation, released, noise, outcome, releaseNumber: o.releaseNumber, ledgerPath: o.ledger.path,
      provider: sessions.provider, files: { unreadable: stream.skipped, duplicates: stream.duplicates, ...input.counts }, warnings,
      timings: {
        loadPackMs: tPack - t0, listMs: tList - tPack, embedMs: tEmbed - tList, encoderMs: stream.encoderMs,
        releaseMs: tRelease - tEmbed, hypernetMs: tHyper - tRelease, assembleMs: tEnd - tHyper, totalMs: tEnd - t0,
      },
    });
    return { lora, metadata, embedding, factors: outputs, report, pack };
  } finally {
    await encoder.release();
    await hypernet.release();
  }
}

/** Refuses an empty result and, under replace-one, a count that differs from the declared n (before any charge). */
function checkImageCount(used: number, skipped: number, relation: NeighbouringRelation): void {
  if (used === 0) {
    throw new DpHyperLoraError('IMAGES_EMPTY',
      `the image folder holds no readable images (${skipped} file(s) could not be decoded); put PNG, JPEG, WebP, TIFF, GIF or AVIF images in it. No privacy budget was spent.`);
  }
  if (relation.kind === 'replace-one' && used !== relation.n) {
    throw new DpHyperLoraError('INVALID_ARGUMENT',
      'under replace-one the declared --n must equal the number of images actually used, and it does not; fix --n (n is public under replace-one) or use add-remove. No privacy budget was spent.');
  }
}
