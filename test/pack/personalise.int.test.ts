import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADD_REMOVE, clipNorm, delta, epsilon, replaceOne } from '../../src/dp/index.js';
import { openLedger, type Ledger } from '../../src/dp/ledger.js';
import { isDpError } from '../../src/errors.js';
import { metadataFromHeader, parseSafetensors } from '../../src/lora/index.js';
import { makeDpLora } from '../../src/pack/personalise.js';
import { decodeImage, type DecodedImage } from '../../src/pack/preprocess.js';
import { writeTestImages, writeTestPack, type TestPack } from '../helpers/test-packs.js';

let work: string;
let pack: TestPack;
let folder: string;
let decoded: DecodedImage[];

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'dphl-personalise-'));
  pack = await writeTestPack({ target: 'reference', dir: join(work, 'pack'), maxBatch: 7 });
  folder = join(work, 'imgs');
  const names = await writeTestImages(folder, { count: 30, width: 20, height: 24, channels: 3 });
  decoded = await Promise.all(names.map((n) => decodeImage(join(folder, n))));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

function ledgerAt(name: string): Ledger {
  return openLedger(join(work, name), { initialBudget: { epsilon: 100, delta: 1e-5 } });
}

test('folder and in-memory images of the same pictures are the same set: the second call is a free repeat', async () => {
  const ledger = ledgerAt('same.sqlite');
  try {
    const common = { pack: pack.dir, epsilon: epsilon(1), delta: delta(1e-5), relation: ADD_REMOVE, releaseNumber: 1, ledger, provider: 'cpu' as const };
    const a = await makeDpLora({ ...common, images: { kind: 'folder', dir: folder } });
    assert.equal(a.report.public.ledger.charged, true);
    async function* stream(): AsyncIterable<DecodedImage> {
      for (const img of decoded) yield img;
    }
    const b = await makeDpLora({ ...common, images: { kind: 'decoded', images: stream() } });
    assert.equal(b.report.public.ledger.charged, false);
    assert.equal(b.report.public.ledger.releaseId, a.report.public.ledger.releaseId);
    assert.deepEqual(Array.from(b.embedding), Array.from(a.embedding));
    assert.deepEqual(b.lora, a.lora);
    const meta = metadataFromHeader(parseSafetensors(a.lora).metadata ?? {});
    assert.equal(meta.epsilon, a.report.public.privacy.epsilon);
    assert.equal(meta.sigmaSum, a.report.public.privacy.sigmaSum);
    assert.equal(meta.countTreatment, 'noisy-count');
  } finally {
    ledger.close();
  }
});

test('the DP embedding is the noisy mean of CLIPPED encoder outputs: clipping active, fixed tolerance', async () => {
  const ledger = ledgerAt('accuracy.sqlite');
  try {
    // Reference: run the same encoder ourselves through the public preprocessing.
    const { SessionFactory } = await import('../../src/pack/sessions.js');
    const { encoderInput } = await import('../../src/pack/preprocess.js');
    const ort = await import('onnxruntime-node');
    const s = await new SessionFactory('cpu').open(join(pack.dir, 'encoder.onnx'), 'encoder.onnx');
    const spec = { height: 28, width: 28, channels: 1 as const, normalise: { mean: [0.5], std: [0.5] } };
    const rows: Float64Array[] = [];
    for (const img of decoded) {
      const x = await encoderInput(img, spec);
      const out = await s.run({ images: new ort.Tensor('float32', x, [1, 1, 28, 28]) });
      rows.push(Float64Array.from(out.embeddings?.data as Float32Array));
    }
    const norms = rows.map((r) => Math.hypot(...r));
    // C at half the smallest norm: EVERY embedding is clipped, so an unclipped sum would be far off.
    const c = Math.min(...norms) / 2;
    const clippedMean = new Float64Array(8);
    const rawMean = new Float64Array(8);
    rows.forEach((r, k) => r.forEach((v, i) => {
      clippedMean[i] = (clippedMean[i] as number) + (v * c) / (norms[k] as number) / rows.length;
      rawMean[i] = (rawMean[i] as number) + v / rows.length;
    }));
    // replace-one with the true n and ε = 50: σ_sum ≈ 2C·4.9/50 ≈ 0.2C, so the mean's noise is ≈ 0.0066 C per
    // coordinate; the tolerance is fixed at 0.05 C (> 7 of those σ), independent of what the release reports.
    const r = await makeDpLora({
      pack: pack.dir, images: { kind: 'decoded', images: decoded }, epsilon: epsilon(50), delta: delta(1e-5), relation: replaceOne(decoded.length),
      releaseNumber: 1, ledger, provider: 'cpu', clipNorm: clipNorm(c),
    });
    assert.equal(r.report.public.privacy.declaredN, 30);
    assert.equal(r.report.public.privacy.clipNorm, c);
    const tol = 0.05 * c;
    const rawGap = Math.max(...rawMean.map((v, i) => Math.abs(v - (clippedMean[i] as number))));
    assert.ok(rawGap > 4 * tol, `clipping must matter in this test: unclipped and clipped means differ by only ${rawGap}`);
    r.embedding.forEach((v, i) => assert.ok(Math.abs(v - (clippedMean[i] as number)) < tol, `coordinate ${i}: ${v} vs ${clippedMean[i]} (tol ${tol})`));
  } finally {
    ledger.close();
  }
});

test('a cancelled run throws CANCELLED and charges nothing', async () => {
  const ledger = ledgerAt('cancel.sqlite');
  try {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(makeDpLora({
      pack: pack.dir, images: { kind: 'folder', dir: folder }, epsilon: epsilon(1), delta: delta(1e-5), relation: ADD_REMOVE, releaseNumber: 1, ledger, provider: 'cpu', signal: ac.signal,
    }), (e: unknown) => isDpError(e, 'CANCELLED'));
    assert.equal(ledger.list().length, 0);
  } finally {
    ledger.close();
  }
});

test('an encoder whose output width differs from embeddingDim is PACK_INCOMPATIBLE, and nothing is charged', async () => {
  const bad = await writeTestPack({ target: 'reference', dir: join(work, 'badpack'), mutateManifest: (m) => { m.embeddingDim = 9; } });
  const ledger = ledgerAt('bad.sqlite');
  try {
    await assert.rejects(makeDpLora({
      pack: bad.dir, images: { kind: 'folder', dir: folder }, epsilon: epsilon(1), delta: delta(1e-5), relation: ADD_REMOVE, releaseNumber: 1, ledger, provider: 'cpu',
    }), (e: unknown) => isDpError(e, 'PACK_INCOMPATIBLE') && e.message.includes('expected [16, 9] (manifest embeddingDim)'));
    assert.equal(ledger.list().length, 0);
  } finally {
    ledger.close();
  }
});

test('a malformed in-memory image is INVALID_INPUT_DATA', async () => {
  const ledger = ledgerAt('malformed.sqlite');
  try {
    await assert.rejects(makeDpLora({
      pack: pack.dir, images: { kind: 'decoded', images: [{ rgb: new Uint8Array(5), width: 2, height: 2 }] }, epsilon: epsilon(1), delta: delta(1e-5),
      relation: ADD_REMOVE, releaseNumber: 1, ledger, provider: 'cpu',
    }), (e: unknown) => isDpError(e, 'INVALID_INPUT_DATA'));
  } finally {
    ledger.close();
  }
});

test('an image that appears twice is embedded and charged once: the copy is dropped and counted, and the set equals the one without it', async () => {
  const ledger = ledgerAt('duplicates.sqlite');
  try {
    const common = { pack: pack.dir, epsilon: epsilon(1), delta: delta(1e-5), relation: ADD_REMOVE, releaseNumber: 1, ledger, provider: 'cpu' as const };
    const first = decoded[0] as DecodedImage;
    async function* withCopy(): AsyncIterable<DecodedImage> {
      for (const img of decoded) yield img;
      yield { ...first, rgb: Uint8Array.from(first.rgb) };
    }
    const a = await makeDpLora({ ...common, images: { kind: 'decoded', images: withCopy() } });
    assert.equal(a.report.local.files.duplicates, 1);
    assert.equal(a.report.public.ledger.charged, true);
    const b = await makeDpLora({ ...common, images: { kind: 'folder', dir: folder } });
    assert.equal(b.report.local.files.duplicates, 0);
    assert.equal(b.report.public.ledger.charged, false, 'without the copy it is the same set: a free repeat');
    assert.equal(b.report.public.ledger.releaseId, a.report.public.ledger.releaseId);
  } finally {
    ledger.close();
  }
});
