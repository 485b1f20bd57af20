// LoRA guidance wired through evaluateLora and the DP Reference Sampler's sampling path, on test reference packs
// (tiny real ONNX UNet, test/helpers/test-packs.ts) whose manifests recommend different weights: the pack's
// sampler.loraGuidance is the default, an explicit option overrides it, w = 0 reproduces the base samples,
// w = 1 the plain LoRA samples, and a weight out of range is refused before any sampling.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { evaluateLora } from '../../src/pack/evaluate.js';
import { loadPack, type Pack } from '../../src/pack/manifest.js';
import { SessionFactory } from '../../src/pack/sessions.js';
import { sampleReferenceImages } from '../../src/worker/reference-sampling.js';
import { float32Tensor, type Tensor } from '../../src/worker/values.js';
import type { NamedFloatTensor } from '../../src/lora/index.js';
import { isDpError } from '../../src/errors.js';
import { loraTensorShapes, writeTestImages, writeTestPack } from '../helpers/test-packs.js';
import { seededUniform } from '../helpers/onnx-builder.js';

let work: string;
let reference: string;
const packs: Record<'absent' | 'two' | 'zero', Pack> = {} as Record<'absent' | 'two' | 'zero', Pack>;
let factors: Record<string, NamedFloatTensor>;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'dphl-guidance-'));
  reference = join(work, 'reference');
  await writeTestImages(reference, { count: 6, width: 28, height: 28, channels: 1, seed: 4 });
  const weights = { absent: undefined, two: 2, zero: 0 } as const;
  for (const [name, w] of Object.entries(weights) as Array<[keyof typeof weights, number | undefined]>) {
    const p = await writeTestPack({
      target: 'reference', dir: join(work, name),
      mutateManifest: (m) => { if (w !== undefined) (m.sampler as Record<string, unknown>).loraGuidance = w; },
    });
    packs[name] = await loadPack(p.dir);
  }
  const m = packs.absent.manifest;
  const rnd = seededUniform(100);
  factors = Object.fromEntries(loraTensorShapes(m.lora.modules, m.lora.rank).map((s) => [
    s.name, { data: Float32Array.from({ length: s.shape[0]! * s.shape[1]! }, () => rnd() - 0.5), dims: [...s.shape] },
  ]));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

function evaluate(pack: Pack, guidance?: number): ReturnType<typeof evaluateLora> {
  return evaluateLora({
    pack, sessions: new SessionFactory('cpu'), factors, referenceDir: reference, samples: 3, steps: 4, seed: 7,
    ...(guidance !== undefined ? { guidance } : {}),
  });
}

test('evaluateLora: the pack\'s sampler.loraGuidance is the default, 1 without it, and the result carries the weight', async () => {
  const plain = await evaluate(packs.absent);
  assert.equal(plain.guidance, 1);
  assert.ok(plain.loraSamples.data.some((v, i) => v !== plain.baseSamples.data[i]), 'the LoRA changes the samples');
  const two = await evaluate(packs.two);
  assert.equal(two.guidance, 2);
  assert.deepEqual([...two.baseSamples.data], [...plain.baseSamples.data], 'the base side does not depend on guidance');
  assert.ok(two.loraSamples.data.some((v, i) => v !== plain.loraSamples.data[i]), 'w = 2 gives other LoRA samples than w = 1');
  const overridden = await evaluate(packs.two, 1);
  assert.equal(overridden.guidance, 1);
  assert.deepEqual([...overridden.loraSamples.data], [...plain.loraSamples.data], 'an explicit w = 1 overrides the pack and is the LoRA alone');
  const zero = await evaluate(packs.zero);
  assert.equal(zero.guidance, 0);
  assert.deepEqual([...zero.loraSamples.data], [...zero.baseSamples.data], 'w = 0 samples the base model on the LoRA side');
  assert.ok(two.scores !== undefined && Number.isFinite(two.scores.lora.fid));
});

test('evaluateLora refuses a guidance weight outside [0, 10] with INVALID_ARGUMENT before sampling', async () => {
  for (const w of [-1, 11, Number.NaN]) {
    await assert.rejects(evaluate(packs.absent, w), (e: unknown) => isDpError(e, 'INVALID_ARGUMENT') && /must be a finite number from 0 to 10/.test(e.message));
  }
});

test('DP Reference Sampler path: sampleReferenceImages uses the pack\'s loraGuidance (0 = the base model, absent = the LoRA alone)', async () => {
  const lora: Record<string, Tensor> = Object.fromEntries(Object.entries(factors).map(([k, f]) => [k, float32Tensor(f.data, f.dims)]));
  const run = (pack: Pack, strength: number): Promise<Tensor> => sampleReferenceImages({
    pack, lora, count: 2, seed: 5, steps: 4, strength, upscale: 1, signal: new AbortController().signal, onProgress: () => undefined,
  });
  const bytes = (t: Tensor): number[] => [...new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)];
  const plain = bytes(await run(packs.absent, 1));
  const base = bytes(await run(packs.absent, 0));
  assert.notDeepEqual(plain, base, 'the LoRA changes the images');
  assert.deepEqual(bytes(await run(packs.zero, 1)), base, 'a pack recommending w = 0 samples the base model');
  const two = bytes(await run(packs.two, 1));
  assert.notDeepEqual(two, plain, 'a pack recommending w = 2 steers beyond the LoRA alone');
  assert.deepEqual(two, bytes(await run(packs.two, 1)), 'and is reproducible from the seed');
});
