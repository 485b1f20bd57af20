/**
 * Noisy Aggregate: the one place where private data becomes public, through one DP release.
 *
 * It streams the private set through the pack's encoder (or, from DP Embed (CLIP Vision), the set's own projected
 * rows: see routeOf), clips every embedding to C, sums, adds discrete
 * Gaussian noise (zCDP accounting, src/dp) for (ε, δ) and the neighbouring relation, and divides by the noisy
 * count (add-remove) or the declared public n (replace-one). The privacy ledger is charged before the value
 * exists outside the ledger, and the release is persisted: the same set, parameters and release number return
 * the stored value and cost nothing, so re-queuing, batch runs and ComfyUI restarts never spend budget again.
 *
 * This node calls only src/pack's releaseDatasetEmbedding (the privacy boundary: private source in, public
 * values out) and never builds a LoRA; Hypernetwork LoRA does that from the public output. What it sends to
 * ComfyUI is public by type: the DatasetRelease, progress steps that are the same for every set
 * (src/worker/public-progress.ts), and the summary made from them by the one formatter of
 * web/src/extensions/dp-hyperlora/release-summary.ts.
 *
 * There is deliberately no seed: privacy noise comes from a CSPRNG only. Fresh noise is an explicit act:
 * bump `release`.
 */
import { ADD_REMOVE, clipNorm, delta, epsilon, replaceOne } from '../src/dp/types.js';
import { loraMetadata } from '../src/pack/lora-from-embedding.js';
import { noiseAssessment } from '../src/pack/noise-range.js';
import { packEncoderSource } from '../src/pack/pack-encoder-source.js';
import { isSourcedPrivateSet, type SourcedPrivateSet } from '../src/pack/private-source.js';
import { releaseDatasetEmbedding, type DatasetRelease } from '../src/pack/release-embedding.js';
import { NODE_CATEGORY, type InputSpec, type NodeDefinition, type WorkerSettings } from '../src/worker/node-definition.js';
import { handleInput } from '../src/worker/inputs.js';
import { readNodeInputs } from '../src/worker/input-schema.js';
import { publicProgress, type PublicProgress } from '../src/worker/public-progress.js';
import { workerLedger, workerPack, workerSession } from '../src/worker/resources.js';
import type { DatasetEmbeddingValue } from '../src/worker/socket-values.js';
import {
  RELEASE_SUMMARY_SCHEMA, RELEASE_SUMMARY_UI_KEY, summaryLines, type ReleaseSummary,
} from '../web/src/extensions/dp-hyperlora/release-summary.js';
import { EMBEDDINGS_HANDLE, type PrivateSet } from './dp-embed.js';

const ID = 'DPHyperLoRA_NoisyAggregate';

const INPUTS = [
  { kind: 'SOCKET', name: 'embeddings', type: 'DP_EMBEDDINGS', tooltip: 'The private set from DP Embed (an opaque handle).' },
  { kind: 'FLOAT', name: 'epsilon', default: 1, min: 0.01, max: 100, step: 0.01, round: 0.001, tooltip: 'Privacy loss ε of this release for every image in the set (smaller is more private, noisier).' },
  { kind: 'FLOAT', name: 'delta', default: 0.00001, min: 1e-12, max: 0.01, step: 0.000001, round: 1e-12, tooltip: 'Privacy failure probability δ; keep it well below 1/n, e.g. 1e-5.' },
  {
    kind: 'COMBO', name: 'relation', options: ['add-remove', 'replace-one'], default: 'add-remove',
    tooltip: 'Neighbouring relation: add-remove protects adding or removing one image (n stays private); replace-one protects swapping one image and needs n declared public.',
  },
  { kind: 'INT', name: 'n_public', default: 0, min: 0, max: 100000000, step: 1, tooltip: 'replace-one only: the number of images, which you declare public; ignored under add-remove.' },
  { kind: 'INT', name: 'release', default: 1, min: 1, max: 1000000, step: 1, tooltip: 'Release number: the same number returns the stored release at no cost; a new number spends budget for fresh noise.' },
] as const satisfies readonly InputSpec[];

/** The structured release summary (public by construction: built from a DatasetRelease and public warnings). */
export function releaseSummary(release: DatasetRelease, warnings: readonly string[]): ReleaseSummary {
  const { plan, receipt } = release;
  const relation = plan.request.relation;
  return {
    schema: RELEASE_SUMMARY_SCHEMA,
    releaseNumber: receipt.releaseNumber,
    relation: relation.kind,
    epsilon: plan.epsilon,
    delta: plan.delta,
    count: relation.kind === 'add-remove'
      ? { treatment: 'noisy-count', noisyCount: release.noisyCount ?? 0, sigmaCount: plan.sigmaCount ?? 0 }
      : { treatment: 'public-n', declaredN: relation.n },
    sigmaSum: plan.sigmaSum,
    clipNorm: plan.request.clipNorm,
    charged: receipt.charged,
    epsilonCharged: receipt.charged ? receipt.epsilonCharged : 0,
    budgetLeftEpsilon: receipt.remaining.epsilon,
    warnings: [...warnings],
  };
}

/** The node's body text: the shared formatter's lines, then the warnings (marked ⚠). */
export function aggregateSummary(summary: ReleaseSummary): string[] {
  return [...summaryLines(summary), ...summary.warnings.map((w) => `⚠ ${w}`)];
}

type Route = SourcedPrivateSet<DatasetEmbeddingValue['metadata']>;

/**
 * The route of the set behind the handle: DP Embed's images through the pack's encoder, or a set that brings its own
 * source (DP Embed (CLIP Vision)). Either way the release below is the same call, ledger and summary.
 */
async function routeOf(held: unknown, settings: WorkerSettings, progress: PublicProgress): Promise<Route> {
  if (isSourcedPrivateSet<DatasetEmbeddingValue['metadata']>(held)) return held;
  const set = held as PrivateSet;
  const pack = await workerPack(set.pack, settings);
  const m = pack.manifest;
  const source = packEncoderSource({
    pack, images: set.images, encoder: await workerSession(pack, m.encoder.file), clipNorm: clipNorm(m.dp.clipNorm),
    local: { onProgress: (done, total) => progress.embedded(done, total) },
  });
  return {
    kind: 'sourced', source,
    noiseWarning: (release) => {
      const relation = release.plan.request.relation;
      return noiseAssessment(release.plan, m.dp.trainedNoise, release.noisyCount ?? (relation.kind === 'replace-one' ? relation.n : undefined)).warning;
    },
    metadata: (release, releaseNumber) => loraMetadata(pack, release.plan, releaseNumber),
  };
}

/** Noisy Aggregate. */
export const noisyAggregate: NodeDefinition = {
  id: ID,
  displayName: 'Noisy Aggregate',
  category: NODE_CATEGORY,
  description:
    'Makes the one differentially private release: embeds, clips and sums the private set, adds discrete Gaussian noise '
    + '(exact sampler on a grid, CSPRNG; calibrated and accounted in zero-concentrated DP) and normalises. The ledger is charged '
    + 'per image before the value leaves, and the release is stored: re-running with the same set, parameters and release number is '
    + 'free. No seed: bump "release" for fresh noise. Shows how n was treated, σ, the ε charged and the budget left; its progress bar '
    + 'moves in the same steps for every set, so it does not reveal n.',
  inputs: INPUTS,
  outputs: [{ name: 'DP_DATASET_EMBEDDING', type: 'DP_DATASET_EMBEDDING', tooltip: 'The DP dataset embedding (public from here on); connect it to Hypernetwork LoRA.' }],
  readsPrivateData: true,

  async execute(inputs, ctx) {
    const v = readNodeInputs(ID, INPUTS, inputs);
    const held = ctx.handles.get(EMBEDDINGS_HANDLE, handleInput(ID, inputs, 'embeddings', EMBEDDINGS_HANDLE));
    const relation = v.relation === 'add-remove' ? ADD_REMOVE : replaceOne(v.n_public);
    const progress = publicProgress((value, max) => ctx.progress(value, max));
    const route = await routeOf(held, ctx.settings, progress);
    const release = await releaseDatasetEmbedding(route.source, {
      epsilon: epsilon(v.epsilon), delta: delta(v.delta), relation, releaseNumber: v.release, ledger: workerLedger(ctx.settings),
      signal: ctx.signal, onPhase: (phase) => (phase === 'embedded' ? progress.streamEnded() : progress.released()),
    });
    const warning = route.noiseWarning(release);
    const summary = releaseSummary(release, warning === undefined ? [] : [warning]);
    const value: DatasetEmbeddingValue = { embedding: [...release.embedding], metadata: route.metadata(release, v.release) };
    return {
      outputs: { DP_DATASET_EMBEDDING: { kind: 'json', value } },
      ui: { text: aggregateSummary(summary), [RELEASE_SUMMARY_UI_KEY]: [summary] },
    };
  },
};
