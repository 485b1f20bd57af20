import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobKey, parsePromptsFile, parseSet, parseVary, planJobs } from '../../src/comfy/batch-plan.js';
import type { ApiPrompt } from '../../src/comfy/workflow-api.js';
import { DpHyperLoraError } from '../../src/errors.js';

const base: ApiPrompt = {
  3: { class_type: 'KSampler', inputs: { seed: 0, steps: 20 } },
  6: { class_type: 'CLIPTextEncode', inputs: { text: 'a cat' }, _meta: { title: 'Positive' } },
};

test('--vary ranges include both ends and may run downwards', () => {
  assert.deepEqual(parseVary('3.inputs.seed=1..4'), { path: '3.inputs.seed', values: [1, 2, 3, 4] });
  assert.deepEqual(parseVary('3.inputs.seed=2..-1'), { path: '3.inputs.seed', values: [2, 1, 0, -1] });
  assert.throws(() => parseVary('seed=1..4'), (e: unknown) => e instanceof DpHyperLoraError && e.code === 'INVALID_ARGUMENT' &&
    e.message === '"seed" is not an input address; write NODE.inputs.FIELD, for example 3.inputs.seed (NODE is the node id in the API-format workflow).');
  assert.throws(() => parseVary('3.inputs.seed=a..b'), (e: unknown) => e instanceof DpHyperLoraError &&
    e.message === '--vary "3.inputs.seed=a..b" is not FIELD=a..b; write for example --vary 3.inputs.seed=1..100 (integers, both ends included).');
});

test('--set values are JSON when they parse, strings otherwise', () => {
  assert.deepEqual(parseSet('3.inputs.steps=30'), ['3.inputs.steps', 30]);
  assert.deepEqual(parseSet('6.inputs.text=a red fox'), ['6.inputs.text', 'a red fox']);
  assert.deepEqual(parseSet('6.inputs.text="42"'), ['6.inputs.text', '42']);
  assert.deepEqual(parseSet('6.inputs.text=a=b'), ['6.inputs.text', 'a=b']);
});

test('--prompts: plain lines fill the one text input; JSON lines set any inputs; # lines are comments', () => {
  assert.deepEqual(parsePromptsFile('a dog\n# skip\n\n{"3.inputs.seed": 5, "6.inputs.text": "a fox"}\n', base),
    [{ '6.inputs.text': 'a dog' }, { '3.inputs.seed': 5, '6.inputs.text': 'a fox' }]);
  const two: ApiPrompt = { ...base, 7: { class_type: 'CLIPTextEncode', inputs: { text: 'blurry' } } };
  assert.throws(() => parsePromptsFile('a dog', two), (e: unknown) => e instanceof DpHyperLoraError && e.message.startsWith(
    '--prompts has plain-text lines, but the workflow has 2 text inputs (6.inputs.text, 7.inputs.text), so it is unclear which one a line fills.'));
});

test('planJobs: product of prompts and ranges, stable names and keys, unknown nodes reported at once', () => {
  const jobs = planJobs(base, { '3.inputs.steps': 4 }, [parseVary('3.inputs.seed=1..2')], [{ '6.inputs.text': 'x' }, { '6.inputs.text': 'y' }]);
  assert.deepEqual(jobs.map((j) => [j.name, j.inputs]), [
    ['job-0001', { '6.inputs.text': 'x', '3.inputs.seed': 1 }], ['job-0002', { '6.inputs.text': 'x', '3.inputs.seed': 2 }],
    ['job-0003', { '6.inputs.text': 'y', '3.inputs.seed': 1 }], ['job-0004', { '6.inputs.text': 'y', '3.inputs.seed': 2 }],
  ]);
  assert.deepEqual(jobs[3]?.prompt['3']?.inputs, { seed: 2, steps: 4 });
  assert.equal(new Set(jobs.map((j) => j.key)).size, 4);
  // The key ignores _meta titles and key order: the same prompt is the same job.
  const reordered: ApiPrompt = { 6: { class_type: 'CLIPTextEncode', inputs: { text: 'a cat' } }, 3: { class_type: 'KSampler', inputs: { steps: 20, seed: 0 } } };
  assert.equal(jobKey(reordered), jobKey(base));
  assert.throws(() => planJobs(base, { '9.inputs.x': 1, '8.inputs.y': 2 }, [], undefined), (e: unknown) => e instanceof DpHyperLoraError && e.code === 'WORKFLOW_INVALID' &&
    e.message === 'cannot set inputs: 9.inputs.x: the workflow has no node "9" (its ids are 3, 6); 8.inputs.y: the workflow has no node "8" (its ids are 3, 6). Use node ids from the API-format workflow.');
});
