/**
 * Release cost query: not a graph node. The bridge calls it (POST /dp_hyperlora/cost) while the user edits Noisy
 * Aggregate, so the frontend can show what a run will cost BEFORE it is queued: the ε it charges, the fewest images
 * the pack's trained noise range needs at that ε, how many such releases a fresh image's budget allows, and the
 * ledger's budget, path and how to back it up. Public values only: it never sees a private set.
 */
import { z } from 'zod';
import { ADD_REMOVE, replaceOne } from '../src/dp/types.js';
import { releaseCost, type ReleaseCost } from '../src/pack/release-cost.js';
import { cliInvocation } from '../src/cli-invocation.js';
import { NODE_CATEGORY, type NodeDefinition } from '../src/worker/node-definition.js';
import { readJsonInputs } from '../src/worker/inputs.js';
import { workerLedger, workerPack } from '../src/worker/resources.js';
import { choiceValueSchema } from '../src/worker/socket-values.js';

/** The id the bridge calls; it is in no node manifest, so ComfyUI never lists it. */
export const COST_QUERY_ID = 'DPHyperLoRA_CostQuery';

/** What the query answers (ui.dp_cost[0]). */
export interface CostAnswer extends ReleaseCost {
  readonly schema: 'dp-hyperlora.release-cost/1';
  readonly packId: string;
  readonly ledger: { readonly path: string; readonly backup: string; readonly change: string };
}

/** One line per fact, in plain words, for the node body. */
export function costLines(c: CostAnswer): string[] {
  const lines = [
    `before you run: this release costs ε = ${fmtCost(c.epsilonCharged)} of your ${fmtCost(c.budget.epsilon)} per image`
      + ` · about ${c.releasesPerFreshImage} releases like it fit a fresh image's budget`,
    `the ${c.packId} pack needs at least ${c.fewestImages} images at this ε (fewer: the LoRA would be mostly noise)`,
  ];
  if (c.countOnlyEpsilon !== undefined) {
    lines.push(`too few images? the run stops after the noisy count and charges only ε = ${fmtCost(c.countOnlyEpsilon)}`);
  }
  lines.push(`your budget: ε = ${fmtCost(c.budget.epsilon)} at δ = ${c.budget.delta} per image, kept in the ledger ${c.ledger.path}`);
  lines.push(`back it up (with its .key file): ${c.ledger.backup}`);
  lines.push(`change the budget (weakens the guarantee for every image): ${c.ledger.change}`);
  return lines;
}

function fmtCost(x: number): string {
  return String(Number(x.toPrecision(3)));
}

/** The cost query. */
export const costQuery: NodeDefinition = {
  id: COST_QUERY_ID,
  displayName: 'DP release cost (query)',
  category: NODE_CATEGORY,
  description: 'What a Noisy Aggregate release will cost, from public values only; called by the frontend, not part of any graph.',
  inputs: [
    { kind: 'CHOICE', name: 'pack', source: 'packs', tooltip: 'The pack the release goes through.' },
    { kind: 'FLOAT', name: 'epsilon', default: 1, min: 0.01, max: 100, step: 0.01, tooltip: 'ε of the release.' },
    { kind: 'FLOAT', name: 'delta', default: 0.00001, min: 1e-12, max: 0.01, step: 0.000001, tooltip: 'δ of the release.' },
    { kind: 'COMBO', name: 'relation', options: ['add-remove', 'replace-one'], default: 'add-remove', tooltip: 'Neighbouring relation.' },
    { kind: 'INT', name: 'n_public', default: 0, min: 0, max: 100000000, step: 1, tooltip: 'replace-one: the declared n.' },
  ],
  outputs: [],

  async execute(inputs, ctx) {
    const v = readJsonInputs(COST_QUERY_ID, inputs, {
      pack: choiceValueSchema, epsilon: z.number(), delta: z.number(), relation: z.enum(['add-remove', 'replace-one']), n_public: z.number().int(),
    });
    const pack = await workerPack(v.pack, ctx.settings);
    const ledger = workerLedger(ctx.settings);
    const cost = releaseCost({
      epsilon: v.epsilon, delta: v.delta, relation: v.relation === 'add-remove' ? ADD_REMOVE : replaceOne(Math.max(1, v.n_public)),
      manifest: pack.manifest, budget: ledger.budget().budget,
    });
    const answer: CostAnswer = {
      schema: 'dp-hyperlora.release-cost/1', ...cost, packId: pack.manifest.id,
      ledger: {
        path: ledger.path, backup: `${cliInvocation()} ledger backup <backup file>.sqlite --ledger "${ledger.path}"`,
        change: `${cliInvocation()} ledger budget --epsilon E --delta D --ledger "${ledger.path}"`,
      },
    };
    return { outputs: {}, ui: { text: costLines(answer), dp_cost: [answer] } };
  },
};
