import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDpError } from '../../src/errors.js';
import { loadPack, parseManifest } from '../../src/pack/manifest.js';
import { rewriteManifest, writeTestPack } from '../helpers/test-packs.js';

async function expectPackError(dir: string, code: string, ...fragments: string[]): Promise<void> {
  await assert.rejects(loadPack(dir), (e: unknown) => {
    assert.ok(isDpError(e), `expected DpHyperLoraError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const f of fragments) assert.ok(e.message.includes(f), `message should mention ${JSON.stringify(f)}: ${e.message}`);
    return true;
  });
}

test('a valid test pack of each target loads, with its manifest fields intact', async () => {
  for (const target of ['reference', 'sd15', 'sdxl'] as const) {
    const p = await writeTestPack({ target });
    try {
      const pack = await loadPack(p.dir);
      assert.equal(pack.manifest.id, `test-${target}`);
      assert.equal(pack.manifest.lora.modules.length, target === 'reference' ? 2 : target === 'sd15' ? 128 : 560);
      assert.equal(pack.filePath('encoder.onnx'), join(p.dir, 'encoder.onnx'));
    } finally {
      await p.cleanup();
    }
  }
});

test('a missing folder or manifest is PACK_NOT_FOUND', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dphl-nopack-'));
  try {
    await expectPackError(join(dir, 'nope'), 'PACK_NOT_FOUND', 'no pack folder');
    await expectPackError(dir, 'PACK_NOT_FOUND', 'manifest.json');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('broken JSON and a foreign format are PACK_INVALID naming manifest.json and the field', async () => {
  const p = await writeTestPack({ target: 'reference' });
  try {
    await writeFile(join(p.dir, 'manifest.json'), '{"format": "dp-hyperlora-pack",');
    await expectPackError(p.dir, 'PACK_INVALID', 'manifest.json is not valid JSON');
    await writeFile(join(p.dir, 'manifest.json'), '{"format": "something-else", "formatVersion": 1}');
    await expectPackError(p.dir, 'PACK_INVALID', 'field "format"', '"something-else"');
  } finally {
    await p.cleanup();
  }
});

test('an unknown formatVersion is PACK_INCOMPATIBLE naming the field and both versions', async () => {
  const p = await writeTestPack({ target: 'reference', mutateManifest: (m) => { m.formatVersion = 2; } });
  try {
    await expectPackError(p.dir, 'PACK_INCOMPATIBLE', 'field "formatVersion" is 2', 'reads version 1');
  } finally {
    await p.cleanup();
  }
});

test('every schema problem is reported at once, each with its field', async () => {
  const p = await writeTestPack({
    target: 'reference',
    mutateManifest: (m) => {
      const enc = m.encoder as Record<string, unknown>;
      enc.height = -3;
      enc.channels = 2;
      (m.dp as Record<string, unknown>).clipNorm = 0;
      m.id = 'Bad Id';
      delete (m as Record<string, unknown>).embeddingDim;
    },
  });
  try {
    await assert.rejects(loadPack(p.dir), (e: unknown) => {
      assert.ok(isDpError(e, 'PACK_INVALID'));
      for (const field of ['field encoder.height', 'field encoder.channels', 'field dp.clipNorm', 'field id', 'field embeddingDim']) {
        assert.ok(e.message.includes(field), `should name ${field}: ${e.message}`);
      }
      const problems = (e.details as { problems: { field: string }[] }).problems;
      assert.ok(problems.length >= 5);
      assert.equal((e.details as { file: string }).file, 'manifest.json');
      return true;
    });
  } finally {
    await p.cleanup();
  }
});

test('cross-field rules: normalisation per channel, layout vs target, unlisted file, duplicate module', () => {
  const base = {
    format: 'dp-hyperlora-pack', formatVersion: 1, id: 'x', version: '1.0.0', target: 'sd15',
    licenses: { code: 'MIT', weights: 'MIT', data: 'x' },
    encoder: { file: 'encoder.onnx', inputName: 'images', outputName: 'embeddings', height: 8, width: 8, channels: 3, normalise: { mean: [0.5], std: [0.5] }, maxBatch: 4 },
    embeddingDim: 4, dp: { clipNorm: 1, aggregate: 'mean', trainedNoise: { min: 0.5, max: 0.1 } },
    hypernet: { file: 'hypernet.onnx', inputName: 'embedding' },
    lora: { layout: 'reference', rank: 2, alpha: 2, modules: [{ key: 'lora_unet_a', in: 2, out: 2 }, { key: 'lora_unet_a', in: 2, out: 2 }] },
    files: { 'encoder.onnx': { sha256: 'a'.repeat(64), bytes: 1 } },
  };
  assert.throws(() => parseManifest('/p', base), (e: unknown) => {
    assert.ok(isDpError(e, 'PACK_INVALID'));
    for (const s of ['field encoder.normalise.mean: must have 3 value(s)', 'field encoder.normalise.std', 'field dp.trainedNoise: min must be below max',
      'field lora.layout: target sd15 needs layout "sd15"', 'field lora.modules.1.key: duplicate key lora_unet_a', 'field hypernet.file: names hypernet.onnx, which is missing from "files"']) {
      assert.ok(e.message.includes(s), `should include ${s}: ${e.message}`);
    }
    return true;
  });
});

test('file names that leave the pack folder are refused (path traversal)', async () => {
  const p = await writeTestPack({
    target: 'reference',
    mutateManifest: (m) => {
      (m.encoder as Record<string, unknown>).file = '../encoder.onnx';
      m.files['../encoder.onnx'] = m.files['encoder.onnx'] as { sha256: string; bytes: number };
    },
  });
  try {
    await expectPackError(p.dir, 'PACK_INVALID', 'field encoder.file', 'plain file name');
  } finally {
    await p.cleanup();
  }
});

test('a symlink that points outside the pack is PATH_TRAVERSAL', async () => {
  const p = await writeTestPack({ target: 'reference' });
  const outside = await mkdtemp(join(tmpdir(), 'dphl-outside-'));
  try {
    await writeFile(join(outside, 'x.onnx'), 'x');
    await rewriteManifest(p.dir, (m) => { m.files['link.onnx'] = { sha256: 'b'.repeat(64), bytes: 1 }; });
    await symlink(join(outside, 'x.onnx'), join(p.dir, 'link.onnx'));
    await expectPackError(p.dir, 'PATH_TRAVERSAL', 'link.onnx', 'outside the pack');
  } finally {
    await p.cleanup();
    await rm(outside, { recursive: true, force: true });
  }
});

test('size and SHA-256 mismatches are PACK_HASH_MISMATCH naming the file and the field', async () => {
  const p = await writeTestPack({ target: 'reference' });
  try {
    await appendFile(join(p.dir, 'hypernet.onnx'), Buffer.from([0]));
    await expectPackError(p.dir, 'PACK_HASH_MISMATCH', 'file hypernet.onnx', 'files.hypernet.onnx.bytes');
    await rewriteManifest(p.dir, (m) => { (m.files['hypernet.onnx'] as { bytes: number }).bytes += 1; });
    await expectPackError(p.dir, 'PACK_HASH_MISMATCH', 'file hypernet.onnx has SHA-256', 'files.hypernet.onnx.sha256');
  } finally {
    await p.cleanup();
  }
});

test('a listed file that is missing is PACK_INVALID naming it', async () => {
  const p = await writeTestPack({ target: 'reference' });
  try {
    await rm(join(p.dir, 'unet.onnx'));
    await expectPackError(p.dir, 'PACK_INVALID', 'file unet.onnx', 'files.unet.onnx');
  } finally {
    await p.cleanup();
  }
});

test('an sd15 pack whose modules differ from the sd15 table is PACK_INCOMPATIBLE naming lora.modules', async () => {
  const p = await writeTestPack({
    target: 'sd15',
    mutateManifest: (m) => {
      const mods = (m.lora as { modules: { key: string; in: number; out: number }[] }).modules;
      mods.pop();
      (mods[0] as { in: number }).in = 321;
    },
  });
  try {
    await expectPackError(p.dir, 'PACK_INCOMPATIBLE', 'field lora.modules', 'sd15 layout', 'expected [out 320, in 320]', 'missing lora_unet_up_blocks_3');
  } finally {
    await p.cleanup();
  }
});

/** The smallest valid reference-fmnist manifest with one file, for tests of single optional fields. */
function minimalManifest(version: string, input: { name: string; size: number }) {
  return {
    format: 'dp-hyperlora-pack', formatVersion: 1, id: 'x', version, target: 'reference-fmnist',
    licenses: { code: 'MIT', weights: 'MIT', data: 'x' },
    encoder: { file: 'encoder.onnx', inputName: input.name, outputName: 'embeddings', height: input.size, width: input.size, channels: 1, normalise: { mean: [0.5], std: [0.5] }, maxBatch: 4 },
    embeddingDim: 4, dp: { clipNorm: 1, aggregate: 'mean', trainedNoise: { min: 0, max: 0.1 } },
    hypernet: { file: 'encoder.onnx', inputName: 'embedding' },
    lora: { layout: 'reference', rank: 2, alpha: 2, modules: [{ key: 'lora_unet_a', in: 2, out: 2 }] },
    files: { 'encoder.onnx': { sha256: 'a'.repeat(64), bytes: 1 } },
  };
}

test('SD pack fields: clipVision only on sd15/sdxl, base hash and training ε range are validated', () => {
  const m = {
    ...minimalManifest('1.0.0', { name: 'clip_embeds', size: 224 }),
    clipVision: { family: 'clip-vit-h-14', dim: 1024, field: 'image_embeds' },
    base: { unetSha256: 'XYZ' },
    training: { data: 'public', steps: 10, epsilon: { min: 8, max: 1 }, delta: 1e-5, extra: 'kept' },
  };
  assert.throws(() => parseManifest('/p', m), (e: unknown) => {
    assert.ok(isDpError(e, 'PACK_INVALID'));
    for (const s of ['field clipVision: only sd15 and sdxl packs read CLIP-vision embeddings', 'field base.unetSha256: must be 64 lower-case hex digits',
      'field training.epsilon: min must not exceed max']) {
      assert.ok(e.message.includes(s), `should include ${s}: ${e.message}`);
    }
    return true;
  });
  const ok = parseManifest('/p', { ...m, clipVision: undefined, base: { unetSha256: 'c'.repeat(64) }, training: { ...m.training, epsilon: { min: 1, max: 8 } } });
  assert.equal(ok.base?.unetSha256, 'c'.repeat(64));
  assert.equal(ok.training?.extra, 'kept');
});

test('sampler.loraGuidance: optional (absent = the LoRA alone), 0–10, anything else refused naming the field', () => {
  const m = {
    ...minimalManifest('2.0.0', { name: 'images', size: 28 }),
    sampler: { file: 'encoder.onnx', timesteps: 1000, schedule: { kind: 'linear' as const, betaStart: 0.0001, betaEnd: 0.02 }, defaultSteps: 50, pixelRange: [-1, 1] },
  };
  const withGuidance = (w: unknown): unknown => ({ ...m, sampler: { ...m.sampler, loraGuidance: w } });
  assert.equal(parseManifest('/p', m).sampler?.loraGuidance, undefined, 'a 2.0.0 manifest without the field stays valid');
  assert.equal(parseManifest('/p', withGuidance(2.5)).sampler?.loraGuidance, 2.5);
  assert.equal(parseManifest('/p', withGuidance(0)).sampler?.loraGuidance, 0);
  assert.equal(parseManifest('/p', withGuidance(10)).sampler?.loraGuidance, 10);
  const cases: Array<[unknown, string]> = [
    [-1, 'field sampler.loraGuidance: must be at least 0'],
    [11, 'field sampler.loraGuidance: must be at most 10'],
    [Number.NaN, 'field sampler.loraGuidance: must be a number from 0 to 10'],
    [Number.POSITIVE_INFINITY, 'field sampler.loraGuidance: must be a number from 0 to 10'],
    ['2', 'field sampler.loraGuidance: must be a number from 0 to 10'],
  ];
  for (const [w, message] of cases) {
    assert.throws(() => parseManifest('/p', withGuidance(w)), (e: unknown) => {
      assert.ok(isDpError(e, 'PACK_INVALID'), String(e));
      assert.ok(e.message.includes(message), `${String(w)} should give ${JSON.stringify(message)}: ${e.message}`);
      assert.ok(e.message.includes('Fix the manifest or re-export the pack'), e.message);
      return true;
    });
  }
});
