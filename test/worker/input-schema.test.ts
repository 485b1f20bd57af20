/** Each node's input schema is derived from its `inputs` list: widget bounds, combo options, socket payloads. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_NODES } from '../../nodes/index.js';
import { isDpError } from '../../src/errors.js';
import { inputShape, readNodeInputs } from '../../src/worker/input-schema.js';
import type { InputSpec } from '../../src/worker/node-definition.js';
import type { DecodedValue } from '../../src/worker/values.js';

const SPECS = [
  { kind: 'SOCKET', name: 'embeddings', type: 'DP_EMBEDDINGS', tooltip: 't' },
  { kind: 'FLOAT', name: 'epsilon', default: 1, min: 0.01, max: 100, step: 0.01, tooltip: 't' },
  { kind: 'INT', name: 'release', default: 1, min: 1, max: 10, tooltip: 't' },
  { kind: 'COMBO', name: 'relation', options: ['add-remove', 'replace-one'], default: 'add-remove', tooltip: 't' },
  { kind: 'STRING', name: 'prefix', default: 'x', tooltip: 't', optional: true },
] as const satisfies readonly InputSpec[];

const json = (value: unknown): DecodedValue => ({ kind: 'json', value });

test('the derived shape covers exactly the JSON inputs, and parsed values are typed by the list', () => {
  assert.deepEqual(Object.keys(inputShape(SPECS)), ['epsilon', 'release', 'relation', 'prefix']);
  const v = readNodeInputs('DPHyperLoRA_T', SPECS, { epsilon: json(0.5), release: json(3), relation: json('replace-one'), prefix: { kind: 'none' } });
  const relation: 'add-remove' | 'replace-one' = v.relation;
  assert.deepEqual({ ...v, relation }, { epsilon: 0.5, release: 3, relation: 'replace-one', prefix: undefined });
});

test('widget bounds, integers and combo options are enforced, every problem listed at once', () => {
  assert.throws(() => readNodeInputs('DPHyperLoRA_T', SPECS, { epsilon: json(0), release: json(2.5), relation: json('swap'), prefix: json(7) }), (e: unknown) => {
    assert.ok(isDpError(e, 'INVALID_ARGUMENT'));
    for (const name of ['epsilon', 'release', 'relation', 'prefix']) assert.match(e.message, new RegExp(`${name}: `));
    return true;
  });
});

test('every node of the plugin derives a shape from its list without error', () => {
  for (const node of ALL_NODES) {
    const shape = inputShape(node.inputs);
    const json = node.inputs.filter((s) => s.kind !== 'SOCKET' || s.type === 'DP_PACK' || s.type === 'DP_DATASET_EMBEDDING').map((s) => s.name);
    assert.deepEqual(Object.keys(shape), json, node.id);
  }
});
