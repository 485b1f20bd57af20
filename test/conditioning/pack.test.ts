/**
 * Conditioning packs: built from public embeddings, written, loaded and verified; a pack of one model family is
 * refused for another with a message naming both; the map back gives image_embeds of the model's dimension.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkFamily, familyOf } from '../../src/conditioning/family.js';
import { conditioningFromRelease } from '../../src/conditioning/conditioning-output.js';
import { buildConditioningPack, loadConditioningPack, writeConditioningPack } from '../../src/conditioning/pack.js';
import { projectPrivateSet } from '../../src/conditioning/private-set.js';
import { rowNorms } from '../../src/conditioning/basis.js';

const D = 1024;
const M = 48;

function publicRows(seed: number): Float32Array {
  const rows = new Float32Array(M * D);
  for (let i = 0; i < rows.length; i++) rows[i] = Math.sin((i + 1) * 0.61803 * seed) + ((i % D) < 8 ? 2 * Math.cos(i * 0.37) : 0);
  return rows;
}

const vitH = familyOf({ imageEmbeds: [M, 1024], lastHiddenState: [M, 257, 1280] });

test('model families come from the output shapes', () => {
  assert.deepEqual(vitH, { family: 'clip-vit-h-14', dim: 1024 });
  assert.deepEqual(familyOf({ imageEmbeds: [2, 1280], lastHiddenState: [2, 257, 1664] }), { family: 'clip-vit-bigg-14', dim: 1280 });
  assert.deepEqual(familyOf({ imageEmbeds: [2, 512], lastHiddenState: [2, 50, 768] }), { family: 'clip-vision-512d-50x768', dim: 512 });
});

test('build → write → load: public provenance in the manifest, basis verified by SHA-256', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cond-pack-'));
  try {
    const built = buildConditioningPack({ rows: publicRows(1), m: M, model: vitH, k: 16, id: 'vit-h-test', whose: 'test fixture (synthetic, public)' });
    await writeConditioningPack(dir, built, false);
    const pack = await loadConditioningPack(dir);
    const m = pack.manifest;
    assert.equal(m.builtFrom.data, 'public');
    assert.equal(m.builtFrom.whose, 'test fixture (synthetic, public)');
    assert.match(m.builtFrom.statement, /public images only/);
    assert.deepEqual(m.model, { family: 'clip-vit-h-14', dim: 1024 });
    assert.equal(m.basis.k, 16);
    assert.ok(m.dp.clipNorm > 0 && m.output.norm > 0);
    assert.equal(pack.basis.directions.length, 16 * 1024);
    await assert.rejects(writeConditioningPack(dir, built, false), { code: 'OUTPUT_EXISTS' });
    const basisPath = join(dir, 'basis.safetensors');
    const bytes = await readFile(basisPath);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    await writeFile(basisPath, bytes);
    await assert.rejects(loadConditioningPack(dir), { code: 'PACK_HASH_MISMATCH', message: /basis\.sha256/ });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a pack built for ViT-H is refused for bigG, naming both families and dimensions', () => {
  const built = buildConditioningPack({ rows: publicRows(2), m: M, model: vitH, k: 8, id: 'vit-h', whose: 'public' });
  assert.throws(() => checkFamily(built.manifest.model, familyOf({ imageEmbeds: [3, 1280], lastHiddenState: [3, 257, 1664] }), 'vit-h'), {
    code: 'PACK_INCOMPATIBLE',
    message: /"vit-h" was built for clip-vit-h-14 \(image_embeds of 1024 dimensions\), but the connected CLIP-vision model is clip-vit-bigg-14 \(1280 dimensions\)/,
  });
});

test('DP Embed (CLIP Vision) refuses mismatched batch sizes without naming them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cond-pack-'));
  try {
    await writeConditioningPack(dir, buildConditioningPack({ rows: publicRows(3), m: M, model: vitH, k: 8, id: 'p', whose: 'public' }), false);
    const pack = await loadConditioningPack(dir);
    const embeds = { rows: publicRows(4).subarray(0, 5 * D), batch: 5, dim: D, shapes: { imageEmbeds: [5, D], lastHiddenState: [5, 257, 1280] } };
    const images = { dtype: 'uint8' as const, shape: [4, 2, 2, 3], data: new Uint8Array(4 * 12) };
    assert.throws(() => projectPrivateSet(pack, embeds, images, 'node'), (e: Error) => /differ in size/.test(e.message) && !/\b[45]\b/.test(e.message));
    const ok = projectPrivateSet(pack, embeds, { ...images, shape: [5, 2, 2, 3], data: new Uint8Array(5 * 12) }, 'node');
    assert.equal(ok.rows.length, 5 * 8);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('DP Conditioning maps k coordinates back to [d] at the public output norm; a wrong k or C is refused', () => {
  const built = buildConditioningPack({ rows: publicRows(5), m: M, model: vitH, k: 8, id: 'p', whose: 'public' });
  const pack = { dir: '/x', manifest: built.manifest, basis: { ...built.manifest.basis, dim: D, mean: new Float64Array(D).fill(0.01), directions: new Float64Array(8 * D).fill(0.001), variances: new Float64Array(8) } };
  const release = { embedding: [1, 0, 0, 0, 0, 0, 0, 0], epsilon: 1, delta: 1e-5, relation: 'add-remove' as const, sigmaSum: 4.26 * built.manifest.dp.clipNorm, clipNorm: built.manifest.dp.clipNorm };
  const out = conditioningFromRelease(pack, { ...release, publicCount: 3 });
  assert.equal(out.imageEmbeds.length, D);
  assert.ok(Math.abs(rowNorms(out.imageEmbeds, 1, D)[0]! - built.manifest.output.norm) < 1e-3);
  assert.match(out.warning ?? '', /needs about n ≥ \d+ images/);
  assert.equal(conditioningFromRelease(pack, release).warning, undefined, 'no count, no claim');
  assert.throws(() => conditioningFromRelease(pack, { ...release, embedding: [1, 2] }), { code: 'PACK_INCOMPATIBLE', message: /2 values .* k = 8/ });
  assert.throws(() => conditioningFromRelease(pack, { ...release, clipNorm: 99 }), { code: 'PACK_INCOMPATIBLE', message: /C = 99/ });
});
