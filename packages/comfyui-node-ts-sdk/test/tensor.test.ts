import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTensor, DTYPE_BYTES, elementCount, float32Tensor, float32View, isNodeSdkError, NodeSdkError } from '../src/index.js';

test('elementCount multiplies the shape; a scalar shape has one element', () => {
  assert.equal(elementCount([2, 3, 4]), 24);
  assert.equal(elementCount([]), 1);
  assert.equal(elementCount([5, 0]), 0);
});

test('a float32 tensor round-trips through float32Tensor and float32View without copying', () => {
  const values = new Float32Array([0, 0.5, -1, 3.25, 1e-8, 7]);
  const t = float32Tensor(values, [1, 2, 3]);
  assert.equal(t.data.byteLength, 6 * DTYPE_BYTES.float32);
  const back = float32View(t);
  assert.deepEqual(Array.from(back), Array.from(values));
  assert.equal(back.buffer, values.buffer);
});

test('float32View copies unaligned bytes instead of failing', () => {
  const bytes = new Uint8Array(4 * 2 + 1);
  new DataView(bytes.buffer).setFloat32(1, 1.5, true);
  new DataView(bytes.buffer).setFloat32(5, -2, true);
  const back = float32View({ dtype: 'float32', shape: [2], data: bytes.subarray(1) });
  assert.deepEqual(Array.from(back), [1.5, -2]);
});

test('checkTensor refuses a byte count that does not match dtype and shape (PROTOCOL)', () => {
  const bad = { dtype: 'float16' as const, shape: [2, 2], data: new Uint8Array(7) };
  assert.throws(() => checkTensor(bad, 'IMAGE'), (e: unknown) => {
    assert.ok(isNodeSdkError(e) && e instanceof NodeSdkError);
    assert.equal(e.code, 'PROTOCOL');
    assert.match(e.message, /IMAGE: float16 tensor of shape \[2, 2\] needs 8 bytes but 7 arrived/);
    return true;
  });
  assert.throws(() => float32Tensor(new Float32Array(3), [2, 2]), { code: 'PROTOCOL' });
  const ok = { dtype: 'uint8' as const, shape: [1, 2, 2, 3], data: new Uint8Array(12) };
  assert.equal(checkTensor(ok, 'IMAGE'), ok);
});

test('float32View refuses another dtype (INVALID_INPUT_DATA)', () => {
  assert.throws(() => float32View({ dtype: 'uint8', shape: [4], data: new Uint8Array(4) }), { code: 'INVALID_INPUT_DATA', message: /expected a float32 tensor, got uint8/ });
});
