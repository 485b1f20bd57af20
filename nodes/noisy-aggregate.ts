/**
 * Noisy Aggregate: the one place where private data becomes public, through one DP release.
 *
 * It streams the private set through the pack's encoder, clips every embedding to C, sums, adds Gaussian
 * noise calibrated to (ε, δ) and the neighbouring relation, and divides by the noisy count (add-remove) or
 * the declared public n (replace-one). The privacy ledger is charged before the value exists outside the
 * ledger, and the release is persisted: the same set, parameters and release number return the stored value
 * and cost nothing, so re-queuing, batch runs and ComfyUI restarts never spend budget again. All of this is
 * src/pack's makeDpLora (the same path as the CLI); this node only adapts it to the graph.
 *
 * There is deliberately no seed: privacy noise comes from a CSPRNG only. Fresh noise is an explicit act:
 * bump `release`.
 */
import { z } from 'zod';
import { ADD_REMOVE, replaceOne } from '../src/dp/types.js';
import { makeDpLora, type DpLoraReport } from '../src/pack/personalise.js';
import { NODE_CATEGORY, type NodeDefinition } from '../src/worker/node-definition.js';
import { handleInput, readJsonInputs } from '../src/worker/inputs.js';
import { workerLedger, workerPack } from '../src/worker/resources.js';
import type { DatasetEmbeddingValue } from '../src/worker/socket-values.js';
import { EMBEDDINGS_HANDLE, type PrivateSet } from './dp-embed.js';

const ID = 'DPHyperLoRA_NoisyAggregate';

/** A public number, short: 4 significant digits. */
export function fmt(x: number): string {
  return String(Number(x.toPrecision(4)));
}

/** The node's body text: public values only (report fields are public by construction). */
export function aggregateSummary(r: DpLoraReport): string[] {
  const p = r.privacy;
  const lines = [
    `release #${r.ledger.releaseNumber} · ${p.relation} · ε = ${fmt(p.epsilon)}, δ = ${fmt(p.delta)}`,
    p.countTreatment === 'noisy-count'
      ? `n: private, released only as a noisy count (≈ ${p.noisyCount === undefined ? '?' : fmt(p.noisyCount)}, σ_count = ${fmt(p.sigmaCount ?? 0)})`
      : `n = ${p.declaredN ?? '?'} (declared public, replace-one)`,
    `σ_sum = ${fmt(p.sigmaSum)} (clip C = ${fmt(p.clipNorm)})`,
    // ComfyUI re-sends a cached node's ui on re-queue, so the wording must stay true when shown again later.
    r.ledger.charged
      ? `ε charged when release #${r.ledger.releaseNumber} was made: ${fmt(r.ledger.epsilonCharged)} (re-running it is free)`
      : `ε charged: 0 (release #${r.ledger.releaseNumber} was already made; repeats are free)`,
    `budget left after this release (most-spent image): ε = ${fmt(r.ledger.remaining.epsilon)}`,
  ];
  for (const w of r.warnings) lines.push(`⚠ ${w}`);
  return lines;
}

/**
 * The structured release summary the frontend extension shows (schema dp-hyperlora.release-summary/1, see
 * web/src/extensions/dp-hyperlora/release-summary.ts): the same public values as the text lines.
 */
export function releaseSummary(r: DpLoraReport): Record<string, unknown> {
  const p = r.privacy;
  return {
    schema: 'dp-hyperlora.release-summary/1',
    releaseNumber: r.ledger.releaseNumber,
    relation: p.relation,
    epsilon: p.epsilon,
    delta: p.delta,
    count: p.countTreatment === 'noisy-count'
      ? { treatment: 'noisy-count', noisyCount: p.noisyCount ?? 0, sigmaCount: p.sigmaCount ?? 0 }
      : { treatment: 'public-n', declaredN: p.declaredN ?? 0 },
    sigmaSum: p.sigmaSum,
    clipNorm: p.clipNorm,
    charged: r.ledger.charged,
    epsilonCharged: r.ledger.charged ? r.ledger.epsilonCharged : 0,
    budgetLeftEpsilon: r.ledger.remaining.epsilon,
    warnings: [...r.warnings],
  };
}

/** Noisy Aggregate. */
export const noisyAggregate: NodeDefinition = {
  id: ID,
  displayName: 'Noisy Aggregate',
  category: NODE_CATEGORY,
  description:
    'Makes the one differentially private release: embeds, clips and sums the private set, adds calibrated Gaussian noise '
    + '(analytic Gaussian mechanism, CSPRNG, discrete sampler) and normalises. The ledger is charged per image before the value '
    + 'leaves, and the release is stored: re-running with the same set, parameters and release number is free. No seed: bump '
    + '"release" for fresh noise. Shows how n was treated, σ, the ε charged and the budget left.',
  inputs: [
    { kind: 'SOCKET', name: 'embeddings', type: 'DP_EMBEDDINGS', tooltip: 'The private set from DP Embed (an opaque handle).' },
    { kind: 'FLOAT', name: 'epsilon', default: 1, min: 0.01, max: 100, step: 0.01, round: 0.001, tooltip: 'Privacy loss ε of this release for every image in the set (smaller is more private, noisier).' },
    { kind: 'FLOAT', name: 'delta', default: 0.00001, min: 1e-12, max: 0.01, step: 0.000001, round: 1e-12, tooltip: 'Privacy failure probability δ; keep it well below 1/n, e.g. 1e-5.' },
    {
      kind: 'COMBO', name: 'relation', options: ['add-remove', 'replace-one'], default: 'add-remove',
      tooltip: 'Neighbouring relation: add-remove protects adding or removing one image (n stays private); replace-one protects swapping one image and needs n declared public.',
    },
    { kind: 'INT', name: 'n_public', default: 0, min: 0, max: 100000000, step: 1, tooltip: 'replace-one only: the number of images, which you declare public; ignored under add-remove.' },
    { kind: 'INT', name: 'release', default: 1, min: 1, max: 1000000, step: 1, tooltip: 'Release number: the same number returns the stored release at no cost; a new number spends budget for fresh noise.' },
  ],
  outputs: [{ name: 'DP_DATASET_EMBEDDING', type: 'DP_DATASET_EMBEDDING', tooltip: 'The DP dataset embedding (public from here on); connect it to Hypernetwork LoRA.' }],

  async execute(inputs, ctx) {
    const v = readJsonInputs(ID, inputs, {
      epsilon: z.number(), delta: z.number(), relation: z.enum(['add-remove', 'replace-one']), n_public: z.number().int(), release: z.number().int(),
    });
    const set = ctx.handles.get(EMBEDDINGS_HANDLE, handleInput(ID, inputs, 'embeddings', EMBEDDINGS_HANDLE)) as PrivateSet;
    const pack = await workerPack(set.pack, ctx.settings);
    const result = await makeDpLora({
      images: set.images, pack, epsilon: v.epsilon, delta: v.delta,
      relation: v.relation === 'add-remove' ? ADD_REMOVE : replaceOne(v.n_public),
      releaseNumber: v.release, ledger: workerLedger(ctx.settings), signal: ctx.signal,
      onProgress: (done, total) => ctx.progress(done, Math.max(done, total ?? done + 1)),
    });
    const value: DatasetEmbeddingValue = { embedding: Array.from(result.embedding), metadata: result.metadata };
    return {
      outputs: { DP_DATASET_EMBEDDING: { kind: 'json', value } },
      ui: { text: aggregateSummary(result.report), dp_release: [releaseSummary(result.report)] },
    };
  },
};
