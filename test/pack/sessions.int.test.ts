import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDpError } from '../../src/errors.js';
import { cudaProviderInstalled, linuxGpuDeviceMissing, SessionFactory, webgpuProblem } from '../../src/pack/sessions.js';
import { writeTestPack } from '../helpers/test-packs.js';

test('cpu runs on CPU with no note', async () => {
  const p = await writeTestPack({ target: 'reference' });
  try {
    const f = new SessionFactory('cpu');
    const s = await f.open(join(p.dir, 'encoder.onnx'), 'encoder.onnx');
    assert.deepEqual(s.inputNames, ['images']);
    assert.deepEqual(f.provider, { requested: 'cpu', used: 'cpu' });
    await s.release();
  } finally {
    await p.cleanup();
  }
});

test('auto reports the provider that actually ran, with a note when it fell back to CPU', async () => {
  const p = await writeTestPack({ target: 'reference' });
  try {
    const f = new SessionFactory('auto');
    const s = await f.open(join(p.dir, 'encoder.onnx'), 'encoder.onnx');
    await s.release();
    // auto skips the WebGPU probe on a Linux machine with no GPU device node (it would print Dawn's errors).
    const webgpu = linuxGpuDeviceMissing() ?? await webgpuProblem(join(p.dir, 'encoder.onnx'));
    if (!cudaProviderInstalled() && webgpu !== undefined) {
      assert.deepEqual(f.provider, { requested: 'auto', used: 'cpu', note: `CUDA not used (the onnxruntime CUDA provider is not installed); WebGPU not used (${webgpu}); ran on CPU.` });
      assert.match(webgpu, /^(the WebGPU provider failed to start \(\S|no GPU device node \(\/dev\/dri\/renderD\*, \/dev\/nvidia\*\) on this Linux machine$)/);
    } else if (!cudaProviderInstalled()) {
      assert.deepEqual(f.provider, { requested: 'auto', used: 'webgpu', note: 'CUDA not used (the onnxruntime CUDA provider is not installed); ran on WebGPU.' });
    } else {
      assert.equal(f.provider.requested, 'auto');
      assert.ok(f.provider.used === 'cuda' || (f.provider.used === 'cpu' && f.provider.note?.startsWith('CUDA not used (the CUDA provider failed to start') === true));
    }
    // Later sessions reuse the decision: the very same resolution object, not a second decision (which would
    // probe CUDA again and could land on another provider than the pack's first model).
    const decided = f.provider;
    const snapshot = structuredClone(decided);
    const h = await f.open(join(p.dir, 'hypernet.onnx'), 'hypernet.onnx');
    await h.release();
    assert.equal(f.provider.requested, 'auto');
    assert.strictEqual(f.provider, decided, 'a later session made a new provider decision');
    assert.deepEqual(f.provider, snapshot);
  } finally {
    await p.cleanup();
  }
});

test('cuda requested where it is not installed is PROVIDER_UNAVAILABLE saying what to do', { skip: cudaProviderInstalled() ? 'CUDA provider installed here' : false }, async () => {
  const p = await writeTestPack({ target: 'reference' });
  try {
    await assert.rejects(new SessionFactory('cuda').open(join(p.dir, 'encoder.onnx'), 'encoder.onnx'), (e: unknown) => {
      assert.ok(isDpError(e, 'PROVIDER_UNAVAILABLE'));
      assert.equal(e.message, '--provider cuda was requested but the onnxruntime CUDA provider is not installed. Install the CUDA 12 build of onnxruntime-node ' +
        '(npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12; it downloads from outside the npm registry) or use --provider cpu, webgpu or auto.');
      return true;
    });
  } finally {
    await p.cleanup();
  }
});

test('webgpu requested where no adapter opens is PROVIDER_UNAVAILABLE with onnxruntime\'s reason', async (t) => {
  const p = await writeTestPack({ target: 'reference' });
  try {
    const why = await webgpuProblem(join(p.dir, 'encoder.onnx'));
    if (why === undefined) { t.skip('a WebGPU adapter opens here'); return; }
    await assert.rejects(new SessionFactory('webgpu').open(join(p.dir, 'encoder.onnx'), 'encoder.onnx'), (e: unknown) => {
      assert.ok(isDpError(e, 'PROVIDER_UNAVAILABLE'));
      assert.equal(e.message, `--provider webgpu was requested but ${why}. WebGPU needs a GPU with a Vulkan (Linux), D3D12 (Windows) or Metal (macOS) driver; use --provider cpu or auto.`);
      return true;
    });
  } finally {
    await p.cleanup();
  }
});

test('a file that is not an ONNX model is PACK_INVALID naming the pack file', async () => {
  const p = await writeTestPack({ target: 'reference' });
  try {
    await writeFile(join(p.dir, 'garbage.onnx'), 'this is not protobuf');
    await assert.rejects(new SessionFactory('cpu').open(join(p.dir, 'garbage.onnx'), 'garbage.onnx'), (e: unknown) => {
      assert.ok(isDpError(e, 'PACK_INVALID'));
      assert.match(e.message, /^pack file garbage\.onnx could not be loaded by onnxruntime/);
      return true;
    });
  } finally {
    await p.cleanup();
  }
});
