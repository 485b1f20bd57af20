// The batch guard against accidental budget spending: jobs that change anything up to Noisy Aggregate make one DP
// release per distinct upstream state (each charged), and batch refuses them unless told otherwise.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseVary, planJobs } from '../../src/comfy/batch-plan.js';
import { assertNoNewReleases, releaseSpread, RELEASE_NODE } from '../../src/comfy/release-guard.js';
import type { ApiPrompt } from '../../src/comfy/workflow-api.js';
import { DpHyperLoraError } from '../../src/errors.js';

// The shape of workflows/api/1-sd15-not-yet-needs-an-sd15-pack.json, reduced to what the guard reads.
const prompt: ApiPrompt = {
  1: { class_type: 'DPHyperLoRA_LoadHypernetwork', inputs: { pack: 'sd15-test' } },
  2: { class_type: 'DPHyperLoRA_Embed', inputs: { pack: ['1', 0], folder: 'private-set' } },
  3: { class_type: RELEASE_NODE, inputs: { embeddings: ['2', 0], epsilon: 1, delta: 1e-5, release: 1 } },
  4: { class_type: 'DPHyperLoRA_HypernetworkLoRA', inputs: { pack: ['1', 0], embedding: ['3', 0], model: ['5', 0] } },
  5: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sd15.safetensors' } },
  6: { class_type: 'KSampler', inputs: { model: ['4', 0], seed: 0, steps: 20 } },
};

test('the guard names the node the plugin really registers, and that node has a release input', () => {
  const manifest = JSON.parse(readFileSync(new URL('../../nodes/manifest.json', import.meta.url), 'utf8')) as { nodes: { id: string; inputs: { name: string }[] }[] };
  const node = manifest.nodes.find((n) => n.id === RELEASE_NODE);
  assert.ok(node, `${RELEASE_NODE} is in nodes/manifest.json`);
  assert.ok(node.inputs.some((i) => i.name === 'release'));
});

test('varying what comes after the release (seeds, steps) is free and allowed', () => {
  const jobs = planJobs(prompt, {}, [parseVary('6.inputs.seed=1..5'), parseVary('6.inputs.steps=10..11')], undefined);
  assert.equal(jobs.length, 10);
  assert.deepEqual(releaseSpread(jobs), []);
  assert.doesNotThrow(() => assertNoNewReleases(jobs));
  // Also allowed: fixing a new release number once with --set (one release, on purpose).
  assert.doesNotThrow(() => assertNoNewReleases(planJobs(prompt, { '3.inputs.release': 2 }, [parseVary('6.inputs.seed=1..3')], undefined)));
});

test('varying the release number, ε, or anything upstream (the folder of DP Embed, the pack) is refused', () => {
  const cases: [string, number, string[]][] = [
    ['3.inputs.release=1..4', 4, ['3.inputs.release']],
    ['3.inputs.epsilon=1..2', 2, ['3.inputs.epsilon']],
  ];
  for (const [vary, releases, paths] of cases) {
    const jobs = planJobs(prompt, {}, [parseVary(vary), parseVary('6.inputs.seed=1..3')], undefined);
    assert.deepEqual(releaseSpread(jobs), [{ nodeId: '3', releases, paths }]);
    assert.throws(() => assertNoNewReleases(jobs), (e: unknown) => e instanceof DpHyperLoraError && e.code === 'INVALID_ARGUMENT' &&
      e.message.startsWith(`the batch would make ${releases} different DP releases at Noisy Aggregate (node 3), because the jobs change ${paths.join(', ')}. Each new release is charged to the privacy ledger.`) &&
      e.message.includes('--allow-new-releases'));
  }
  const upstream = planJobs(prompt, {}, [], [{ '2.inputs.folder': 'set-a' }, { '2.inputs.folder': 'set-b' }, { '1.inputs.pack': 'other', '6.inputs.seed': 3 }]);
  assert.deepEqual(releaseSpread(upstream), [{ nodeId: '3', releases: 3, paths: ['1.inputs.pack', '2.inputs.folder'] }]);
});

test('a workflow without Noisy Aggregate, or a batch of one job, is never refused', () => {
  const plain: ApiPrompt = { 6: { class_type: 'KSampler', inputs: { seed: 0 } } };
  assert.doesNotThrow(() => assertNoNewReleases(planJobs(plain, {}, [parseVary('6.inputs.seed=1..9')], undefined)));
  assert.doesNotThrow(() => assertNoNewReleases(planJobs(prompt, {}, [], undefined)));
  assert.doesNotThrow(() => assertNoNewReleases([]));
});
