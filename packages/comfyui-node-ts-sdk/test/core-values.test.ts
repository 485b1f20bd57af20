// LATENT and CONDITIONING as the worker reads and writes them, in the layouts the Python converters use
// (test/test_core_converters.py checks the Python half with the same layouts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { float32Tensor, isNodeSdkError } from '../src/index.js';
import { conditioningValue, latentValue, readConditioning, readLatent, type ConditioningItem } from '../src/core-values.js';

const t = (values: number[], shape: number[]) => float32Tensor(Float32Array.from(values), shape);

test('a LATENT round-trips with its noise mask and batch index, and reads the layout the bridge sends', () => {
  const latent = { samples: t([1, 2, 3, 4], [1, 4, 1, 1]), noiseMask: t([0.5], [1, 1, 1, 1]), batchIndex: [3, 7] };
  const wire = latentValue(latent);
  assert.deepEqual(Object.keys(wire.tensors).sort(), ['noise_mask', 'samples']);
  assert.deepEqual(wire.metadata, { batch_index: '3,7' });
  assert.deepEqual(readLatent(wire), latent);
  assert.deepEqual(readLatent({ kind: 'tensors', tensors: { samples: latent.samples }, metadata: { dropped: 'type' } }), { samples: latent.samples });
  assert.throws(() => readLatent({ kind: 'json', value: 1 }), (e) => isNodeSdkError(e) && e.code === 'INVALID_INPUT_DATA');
});

test('CONDITIONING round-trips tensors and numeric entries item by item; dropped keys are reported', () => {
  const items: Omit<ConditioningItem, 'dropped'>[] = [
    { cond: t([1, 2], [1, 1, 2]), tensors: { pooled_output: t([9], [1, 1]) }, values: { strength: 0.5, area: [64, 64, 0, 0], set_area_to_bounds: false } },
    { cond: t([3, 4], [1, 1, 2]), tensors: {}, values: {} },
  ];
  const wire = conditioningValue(items);
  assert.deepEqual(Object.keys(wire.tensors).sort(), ['c0', 'c0.pooled_output', 'c1']);
  assert.deepEqual(wire.metadata, { count: '2', 'c0.strength': '0.5', 'c0.area': '[64,64,0,0]', 'c0.set_area_to_bounds': 'false' });
  assert.deepEqual(readConditioning(wire), items.map((i) => ({ ...i, dropped: [] })));
  const fromBridge = { ...wire, metadata: { ...wire.metadata, 'c0.dropped': 'control,hooks' } };
  assert.deepEqual(readConditioning(fromBridge)[0]?.dropped, ['control', 'hooks']);
  assert.throws(() => readConditioning({ ...wire, metadata: { ...wire.metadata, 'c1.name': '"text"' } }), /c1.name is not a number/);
});
