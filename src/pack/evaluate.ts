/**
 * Evaluation of a LoRA on a pack with its own sampler (the reference pack): DDIM samples of the base model and of
 * the base model with the LoRA injected (same seeds, so paired image by image), each compared with a folder of
 * reference images by FID on the pack's features.onnx, plus the class-histogram KL when it has a classifier. The LoRA
 * side is sampled with LoRA guidance (src/diffusion/lora-guidance.ts) at the pack's recommended weight unless told.
 *
 * NOT a private computation when the reference images are private: the metric reads them directly. Callers
 * label its output accordingly (`demo` compares with the bundled public example set; `eval` says NOT PRIVATE).
 */
import type * as ort from 'onnxruntime-node';
import { DpHyperLoraError } from '../errors.js';
import {
  checkLoraGuidance, classHistogram, extractFeatures, fid, klDivergence, LoraGuidedEps, loraScale, sampleDdim, samplesToNetworkInput,
  UnetEpsModel, type ExtractedFeatures, type SampleSet,
} from '../diffusion/index.js';
import type { NamedFloatTensor } from '../lora/index.js';
import { logger } from '../log/logger.js';
import { listImageFolder } from './image-folder.js';
import type { Pack } from './manifest.js';
import { decodeImage, encoderInputSize, writeEncoderInput } from './preprocess.js';
import type { SessionFactory } from './sessions.js';

const log = logger('pack');

/** Scores of one sample set against the reference set. */
export interface SetScores {
  readonly fid: number;
  /** KL(reference classes ‖ sample classes) in nats; absent without a classifier. */
  readonly classKl?: number;
  readonly classHistogram?: number[];
}

/** The result of {@link evaluateLora}. */
export interface LoraEvaluation {
  readonly samples: number;
  readonly steps: number;
  readonly seed: number;
  readonly strength: number;
  /** LoRA guidance weight the LoRA samples were drawn with (1 = the LoRA alone; src/diffusion/lora-guidance.ts). */
  readonly guidance: number;
  /** Present when the pack has features.onnx (FID needs it). */
  readonly scores?: {
    readonly referenceCount: number;
    readonly base: SetScores;
    readonly lora: SetScores;
    readonly referenceClassHistogram?: number[];
  };
  /** The sampled images (pixel range of the pack), for grids. */
  readonly baseSamples: SampleSet;
  readonly loraSamples: SampleSet;
  readonly samplingMs: number;
}

/** Options of {@link evaluateLora}. */
export interface EvaluateLoraOptions {
  readonly pack: Pack;
  readonly sessions: SessionFactory;
  /** The LoRA factors (hypernetwork outputs) to inject. */
  readonly factors: Readonly<Record<string, NamedFloatTensor>>;
  /** Folder of reference images for FID. */
  readonly referenceDir: string;
  readonly samples: number;
  readonly steps?: number;
  readonly seed?: number;
  /** LoRA strength (ComfyUI's strength_model); default 1. */
  readonly strength?: number;
  /**
   * LoRA guidance weight w in [0, 10] for the LoRA samples (ε = ε_base + w·(ε_lora − ε_base); post-processing, no
   * privacy cost; w ∉ {0, 1} doubles the LoRA side's model calls); default the pack's sampler.loraGuidance, else 1.
   */
  readonly guidance?: number;
  readonly signal?: AbortSignal;
}

async function referenceFeatures(o: EvaluateLoraOptions, session: ort.InferenceSession): Promise<ExtractedFeatures> {
  const m = o.pack.manifest;
  const spec = m.features;
  if (spec === undefined) throw new DpHyperLoraError('PACK_INCOMPATIBLE', `pack ${m.id} has no features.onnx (manifest field "features"); FID needs one.`);
  const listing = await listImageFolder(o.referenceDir);
  const size = encoderInputSize(m.encoder);
  const parts: Float32Array[] = [];
  for (const path of listing.imagePaths) {
    // Reference folders are evaluation inputs: files that are not images are left out (counted in referenceCount).
    const img = await decodeImage(path).catch((e: unknown) => {
      log.debug(`a reference file was left out: ${(e as Error).message.split('\n')[0] ?? 'decode failed'}`);
      return undefined;
    });
    if (img === undefined) continue;
    const x = new Float32Array(size);
    await writeEncoderInput(img, m.encoder, x, 0);
    parts.push(x);
  }
  if (parts.length < 2) throw new DpHyperLoraError('IMAGES_EMPTY', 'the reference folder needs at least 2 readable images for FID.');
  const input = new Float32Array(parts.length * size);
  parts.forEach((x, i) => input.set(x, i * size));
  return extractFeatures(session, spec, input, [parts.length, m.encoder.channels, m.encoder.height, m.encoder.width]);
}

async function scores(samples: SampleSet, ref: ExtractedFeatures, o: EvaluateLoraOptions, session: ort.InferenceSession): Promise<SetScores> {
  const m = o.pack.manifest;
  const spec = m.features as NonNullable<typeof m.features>;
  const feats = await extractFeatures(session, spec, samplesToNetworkInput(samples, m.encoder.normalise), samples.dims);
  const score: SetScores = { fid: fid(feats.features, feats.count, ref.features, ref.count, ref.featureDim) };
  if (feats.logits === undefined || ref.logits === undefined || feats.classes === undefined) return score;
  const hist = classHistogram(feats.logits, feats.count, feats.classes);
  const refHist = classHistogram(ref.logits, ref.count, feats.classes);
  return { ...score, classKl: klDivergence(refHist, hist), classHistogram: Array.from(hist) };
}

/**
 * Throws PACK_INCOMPATIBLE unless the pack has a sampler (and, with `needFeatures`, a feature network): check this
 * before spending budget.
 */
export function requireSampler(pack: Pack, needFeatures: boolean): void {
  const m = pack.manifest;
  if (m.sampler === undefined || (needFeatures && m.features === undefined)) {
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `pack ${m.id} (${m.target}) has no ${m.sampler === undefined ? 'sampler (unet.onnx)' : 'features.onnx'}; evaluation needs a pack with its own small diffusion model, such as the bundled reference pack.`);
  }
}

async function scoreBoth(o: EvaluateLoraOptions, base: SampleSet, lora: SampleSet): Promise<LoraEvaluation['scores']> {
  const features = o.pack.manifest.features;
  if (features === undefined) return undefined;
  const session = await o.sessions.open(o.pack.filePath(features.file), features.file);
  try {
    const ref = await referenceFeatures(o, session);
    const refHist = ref.logits !== undefined && ref.classes !== undefined ? Array.from(classHistogram(ref.logits, ref.count, ref.classes)) : undefined;
    return {
      referenceCount: ref.count, base: await scores(base, ref, o, session), lora: await scores(lora, ref, o, session),
      ...(refHist !== undefined ? { referenceClassHistogram: refHist } : {}),
    };
  } finally {
    await session.release();
  }
}

/** Samples base and LoRA images and, when the pack has features.onnx, scores both against the reference folder. */
export async function evaluateLora(o: EvaluateLoraOptions): Promise<LoraEvaluation> {
  const m = o.pack.manifest;
  requireSampler(o.pack, false);
  const sampler = m.sampler as NonNullable<typeof m.sampler>;
  const steps = o.steps ?? sampler.defaultSteps;
  const seed = o.seed ?? 0;
  const strength = o.strength ?? 1;
  const guidance = checkLoraGuidance(o.guidance ?? sampler.loraGuidance ?? 1, 'LoRA guidance');
  const unetSession = await o.sessions.open(o.pack.filePath(sampler.file), sampler.file);
  let base: SampleSet;
  let lora: SampleSet;
  const t0 = performance.now();
  try {
    const common = {
      imageShape: { channels: m.encoder.channels, height: m.encoder.height, width: m.encoder.width }, count: o.samples, steps,
      timesteps: sampler.timesteps, schedule: sampler.schedule, pixelRange: sampler.pixelRange, seed, ...(o.signal ? { signal: o.signal } : {}),
    } as const;
    const baseModel = new UnetEpsModel(unetSession, { modules: m.lora.modules, rank: m.lora.rank });
    base = await sampleDdim({ ...common, model: baseModel });
    const withLora = new UnetEpsModel(unetSession, {
      modules: m.lora.modules, rank: m.lora.rank, lora: { factors: o.factors, scale: loraScale(strength, m.lora.alpha, m.lora.rank) },
    });
    lora = await sampleDdim({ ...common, model: new LoraGuidedEps({ base: baseModel, lora: withLora, weight: guidance }) });
  } finally {
    await unetSession.release();
  }
  const samplingMs = performance.now() - t0;
  const scored = await scoreBoth(o, base, lora);
  return { samples: o.samples, steps, seed, strength, guidance, ...(scored !== undefined ? { scores: scored } : {}), baseSamples: base, loraSamples: lora, samplingMs };
}
