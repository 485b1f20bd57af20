/**
 * The public side of the privacy boundary: {@link loraFromEmbedding} turns a DP dataset embedding (a DP output,
 * public) into a LoRA with the pack's hypernetwork. Post-processing of a DP output: no budget, no ledger, and
 * nothing private is reachable from here (its input is branded DpDatasetEmbedding, made only by
 * releaseDatasetEmbedding or at an edge from a value that is already public).
 */
import type * as ort from 'onnxruntime-node';
import type { ReleasePlan } from '../dp/release.js';
import { assembleLora, type LoraMetadata, type NamedFloatTensor, type SafetensorsInput } from '../lora/index.js';
import { VERSION } from '../version.js';
import { runHypernet } from './hypernet.js';
import { packLayout } from './layout-check.js';
import type { Pack } from './manifest.js';
import type { DpDatasetEmbedding } from './release-embedding.js';

/** A LoRA made from a DP dataset embedding (public). */
export interface DpLoraTensors {
  /** The hypernetwork's outputs by name (the LoRA factors), e.g. for injection into the reference sampler. */
  readonly factors: Readonly<Record<string, NamedFloatTensor>>;
  /** The kohya-keyed tensors (down, up, alpha per module), ready for safetensors or ComfyUI's loader. */
  readonly tensors: readonly SafetensorsInput[];
}

/** Runs the hypernetwork on the DP dataset embedding and assembles the LoRA in the pack's key layout. */
export async function loraFromEmbedding(o: { readonly pack: Pack; readonly hypernet: ort.InferenceSession; readonly embedding: DpDatasetEmbedding }): Promise<DpLoraTensors> {
  const m = o.pack.manifest;
  const factors = await runHypernet(o.hypernet, m.hypernet.inputName, Float32Array.from(o.embedding));
  const tensors = assembleLora({ outputs: factors, layout: packLayout(m), rank: m.lora.rank, alpha: m.lora.alpha });
  return { factors, tensors };
}

/** The LoRA's DP metadata: public parameters of the release and the pack, nothing about the set. */
export function loraMetadata(pack: Pack, plan: ReleasePlan, releaseNumber: number): LoraMetadata {
  const m = pack.manifest;
  return {
    schema: 'dp-hyperlora.lora-metadata/1', mechanism: 'dp-deepsets-discrete-gaussian', rho: plan.rhoTotal,
    relation: plan.request.relation.kind, countTreatment: plan.request.relation.kind === 'add-remove' ? 'noisy-count' : 'public-n',
    epsilon: plan.epsilon, delta: plan.delta, clipNorm: plan.request.clipNorm, sigmaSum: plan.sigmaSum,
    ...(plan.sigmaCount !== null ? { sigmaCount: plan.sigmaCount } : {}),
    releaseNumber, packId: m.id, packVersion: m.version, layout: m.lora.layout, rank: m.lora.rank, alpha: m.lora.alpha, toolVersion: VERSION,
  };
}
