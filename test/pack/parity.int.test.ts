/**
 * Parity of the committed reference pack: each models/reference/*.onnx, run in onnxruntime-node on the fixed
 * inputs of test/fixtures/reference-parity/<model>.json, reproduces the PyTorch outputs recorded by
 * training/export.py within the fixture's tolerance (|a - b| <= atol + rtol * |b|). The pack must also load
 * through the runtime's own loader (schema, layout, sizes, SHA-256).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadPack } from '../../src/pack/manifest.js';

const root = new URL('../..', import.meta.url).pathname;
const packDir = join(root, 'models', 'reference');
const fixtureDir = join(root, 'test', 'fixtures', 'reference-parity');

interface FixtureTensor {
  readonly dims: number[];
  readonly data: number[];
}

interface Fixture {
  readonly model: string;
  readonly sha256: string;
  readonly atol: number;
  readonly rtol: number;
  readonly inputs: Record<string, FixtureTensor>;
  readonly outputs: Record<string, FixtureTensor>;
}

async function readFixture(model: string): Promise<Fixture> {
  return JSON.parse(await readFile(join(fixtureDir, `${model}.json`), 'utf8')) as Fixture;
}

/** Largest violation of |a - b| <= atol + rtol |b| (0 when every element is within tolerance). */
function worstExcess(actual: Float32Array, expected: number[], atol: number, rtol: number): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i] ?? Number.NaN;
    const excess = Math.abs((actual[i] ?? Number.NaN) - want) - (atol + rtol * Math.abs(want));
    if (!(excess <= worst)) worst = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
  }
  return worst;
}

const pack = await loadPack(packDir);

test('the reference pack loads through the runtime loader and lists the models', () => {
  const m = pack.manifest;
  assert.equal(m.id, 'reference-fmnist');
  assert.equal(m.target, 'reference-fmnist');
  assert.ok(m.sampler, 'the reference pack ships unet.onnx');
  const total = Object.values(m.files).reduce((s, f) => s + f.bytes, 0);
  assert.ok(total <= 10_000_000, `pack is ${total} bytes, over the 10 MB limit`);
});

for (const model of ['encoder', 'hypernet', 'unet', 'features']) {
  test(`${model}.onnx matches PyTorch on the fixed inputs`, async (t) => {
    if (!(`${model}.onnx` in pack.manifest.files)) {
      assert.notEqual(model, 'unet', 'unet.onnx must be in the reference pack');
      assert.notEqual(model, 'encoder', 'encoder.onnx must be in the reference pack');
      assert.notEqual(model, 'hypernet', 'hypernet.onnx must be in the reference pack');
      t.skip(`${model}.onnx is not in this pack`);
      return;
    }
    const fx = await readFixture(model);
    assert.equal(fx.sha256, pack.manifest.files[`${model}.onnx`]?.sha256,
      `fixture ${model}.json was made for another ${model}.onnx; re-run training/export.py`);
    const session = await ort.InferenceSession.create(pack.filePath(`${model}.onnx`));
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(fx.inputs)) {
      feeds[name] = new ort.Tensor('float32', Float32Array.from(tensor.data), tensor.dims);
    }
    const out = await session.run(feeds);
    assert.deepEqual(Object.keys(out).sort(), Object.keys(fx.outputs).sort());
    for (const [name, want] of Object.entries(fx.outputs)) {
      const got = out[name];
      assert.ok(got, `missing output ${name}`);
      assert.deepEqual([...got.dims], want.dims, `dims of ${name}`);
      const excess = worstExcess(got.data as Float32Array, want.data, fx.atol, fx.rtol);
      assert.ok(excess === 0, `${model}.onnx output ${name} is off by up to ${excess} beyond tolerance`);
    }
    await session.release();
  });
}
