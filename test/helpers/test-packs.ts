/**
 * Writes complete, valid test model packs (manifest.json + real ONNX files + SHA-256 hashes, per
 * docs/pack-format.md) into a temporary folder, for the targets `reference`, `sd15` and `sdxl`, and small
 * image folders to feed them.
 *
 * Shared test helper (test/pack, test/lora, test/diffusion, test/worker, nodes tests and the CLI e2e tests use
 * it): keep the exported signatures stable. Packs are tiny (the hypernetwork tiles one small hidden vector
 * into every LoRA tensor, see ./onnx-builder.ts), so even the sdxl pack (560 modules) builds in well under a
 * second.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import sharp from 'sharp';
import {
  buildConvEncoder, buildLinearEncoder, buildTileHypernet, buildTinyFeatures, buildTinyUnet, seededUniform, type NamedShape,
} from './onnx-builder.js';

/** The targets a test pack can have. */
export type TestTarget = 'reference' | 'sd15' | 'sdxl';

/** One LoRA module in a manifest: kohya key prefix and the adapted layer's sizes. */
export interface TestModule {
  readonly key: string;
  readonly in: number;
  readonly out: number;
}

/** The manifest object as written (plain JSON, mutable so that tests can damage it). */
export type TestManifest = Record<string, unknown> & {
  files: Record<string, { sha256: string; bytes: number }>;
};

/** Options for writeTestPack; everything has a small default. */
export interface TestPackOptions {
  readonly target: TestTarget;
  /** Folder to write into (created); a fresh temp dir when omitted. */
  readonly dir?: string;
  readonly id?: string;
  readonly embeddingDim?: number;
  /** Encoder input size; defaults: reference 28×28×1, sd15/sdxl 16×16×3. */
  readonly height?: number;
  readonly width?: number;
  readonly channels?: 1 | 3;
  readonly maxBatch?: number;
  readonly rank?: number;
  readonly alpha?: number;
  readonly clipNorm?: number;
  readonly trainedNoise?: { readonly min: number; readonly max: number };
  /** Reference target only: include unet.onnx (sampler) and features.onnx; default true. */
  readonly withSampler?: boolean;
  readonly withFeatures?: boolean;
  /** 'linear' (default, cheapest) or 'conv' (the reference encoder's architecture and cost; square inputs only). */
  readonly encoder?: 'linear' | 'conv';
  /** Reference target only: the modules (all square, same width); default two 16×16 modules. */
  readonly modules?: readonly TestModule[];
  /** Called on the manifest before it is written (after hashes are filled in). */
  readonly mutateManifest?: (manifest: TestManifest) => void;
}

/** A written test pack. */
export interface TestPack {
  readonly dir: string;
  readonly manifest: TestManifest;
  /** The LoRA modules of the pack (same as manifest.lora.modules). */
  readonly modules: readonly TestModule[];
  /** Removes the folder. */
  cleanup(): Promise<void>;
}

const SD15_BLOCKS: readonly { readonly prefix: string; readonly channels: number }[] = [
  ...[0, 1].map((a) => ({ prefix: `down_blocks_0_attentions_${a}`, channels: 320 })),
  ...[0, 1].map((a) => ({ prefix: `down_blocks_1_attentions_${a}`, channels: 640 })),
  ...[0, 1].map((a) => ({ prefix: `down_blocks_2_attentions_${a}`, channels: 1280 })),
  { prefix: 'mid_block_attentions_0', channels: 1280 },
  ...[0, 1, 2].map((a) => ({ prefix: `up_blocks_1_attentions_${a}`, channels: 1280 })),
  ...[0, 1, 2].map((a) => ({ prefix: `up_blocks_2_attentions_${a}`, channels: 640 })),
  ...[0, 1, 2].map((a) => ({ prefix: `up_blocks_3_attentions_${a}`, channels: 320 })),
];

const SDXL_ATTENTIONS: readonly { readonly prefix: string; readonly channels: number; readonly depth: number }[] = [
  ...[0, 1].map((a) => ({ prefix: `down_blocks_1_attentions_${a}`, channels: 640, depth: 2 })),
  ...[0, 1].map((a) => ({ prefix: `down_blocks_2_attentions_${a}`, channels: 1280, depth: 10 })),
  { prefix: 'mid_block_attentions_0', channels: 1280, depth: 10 },
  ...[0, 1, 2].map((a) => ({ prefix: `up_blocks_0_attentions_${a}`, channels: 1280, depth: 10 })),
  ...[0, 1, 2].map((a) => ({ prefix: `up_blocks_1_attentions_${a}`, channels: 640, depth: 2 })),
];

function blockModules(block: string, channels: number, context: number): TestModule[] {
  const out: TestModule[] = [];
  for (const attn of ['attn1', 'attn2'] as const) {
    for (const proj of ['to_q', 'to_k', 'to_v', 'to_out_0'] as const) {
      const crossIn = attn === 'attn2' && (proj === 'to_k' || proj === 'to_v');
      out.push({ key: `lora_unet_${block}_${attn}_${proj}`, in: crossIn ? context : channels, out: channels });
    }
  }
  return out;
}

/**
 * The SD1.5 kohya (diffusers-path) module list from /work/shared/reference/comfyui.md §3.4, written out
 * independently of src/lora so that tests cross-check the two: 16 blocks × 8 projections = 128 modules.
 */
export function sd15TestModules(): TestModule[] {
  return SD15_BLOCKS.flatMap((b) => blockModules(`${b.prefix}_transformer_blocks_0`, b.channels, 768));
}

/** The SDXL kohya (diffusers-path) module list from comfyui.md §3.5: 70 blocks × 8 projections = 560 modules. */
export function sdxlTestModules(): TestModule[] {
  return SDXL_ATTENTIONS.flatMap((a) => Array.from({ length: a.depth }, (_, i) => i)
    .flatMap((i) => blockModules(`${a.prefix}_transformer_blocks_${i}`, a.channels, 2048)));
}

/** The default reference-target modules: two square 16-wide layers. */
export function referenceTestModules(): TestModule[] {
  return [
    { key: 'lora_unet_mid_attn_to_q', in: 16, out: 16 },
    { key: 'lora_unet_mid_attn_to_v', in: 16, out: 16 },
  ];
}

/** The hypernetwork's named outputs for `modules` at `rank`: down [r,in] and up [out,r] per module. */
export function loraTensorShapes(modules: readonly TestModule[], rank: number): NamedShape[] {
  return modules.flatMap((m) => [
    { name: `${m.key}.lora_down.weight`, shape: [rank, m.in] },
    { name: `${m.key}.lora_up.weight`, shape: [m.out, rank] },
  ]);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes a complete test pack and returns where it is. */
export async function writeTestPack(o: TestPackOptions): Promise<TestPack> {
  const dir = o.dir ?? await mkdtemp(join(tmpdir(), `dphl-pack-${o.target}-`));
  await mkdir(dir, { recursive: true });
  const isRef = o.target === 'reference';
  const channels = o.channels ?? (isRef ? 1 : 3);
  const height = o.height ?? (isRef ? 28 : 16);
  const width = o.width ?? (isRef ? 28 : 16);
  const embeddingDim = o.embeddingDim ?? 8;
  const rank = o.rank ?? 4;
  const modules = isRef ? (o.modules ?? referenceTestModules()) : o.target === 'sd15' ? sd15TestModules() : sdxlTestModules();
  const files: Record<string, Uint8Array> = {
    'encoder.onnx': o.encoder === 'conv'
      ? buildConvEncoder({ channels, size: height, embeddingDim })
      : buildLinearEncoder({ channels, height, width, embeddingDim }),
    'hypernet.onnx': buildTileHypernet({ embeddingDim, outputs: loraTensorShapes(modules, rank) }),
  };
  const withSampler = isRef && (o.withSampler ?? true);
  const withFeatures = isRef && (o.withFeatures ?? true);
  if (withSampler) files['unet.onnx'] = buildTinyUnet({ channels, height, width, modules });
  if (withFeatures) files['features.onnx'] = buildTinyFeatures({ channels, height, width, featureDim: 8, classes: 10 });
  const manifest: TestManifest = {
    format: 'dp-hyperlora-pack',
    formatVersion: 1,
    id: o.id ?? `test-${o.target}`,
    version: '1.0.0',
    target: isRef ? 'reference-fmnist' : o.target,
    description: `Test pack (${o.target}) built by test/helpers/test-packs.ts; random weights.`,
    licenses: { code: 'MIT', weights: 'MIT', data: 'none (random weights)' },
    encoder: {
      file: 'encoder.onnx', inputName: 'images', outputName: 'embeddings', height, width, channels,
      normalise: channels === 1 ? { mean: [0.5], std: [0.5] } : { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
      maxBatch: o.maxBatch ?? 16,
    },
    embeddingDim,
    dp: { clipNorm: o.clipNorm ?? 1.0, aggregate: 'mean', trainedNoise: o.trainedNoise ?? { min: 0.0002, max: 0.35 } },
    hypernet: { file: 'hypernet.onnx', inputName: 'embedding' },
    lora: { layout: isRef ? 'reference' : o.target, rank, alpha: o.alpha ?? rank, modules: modules.map((m) => ({ ...m })) },
    ...(withSampler ? {
      sampler: {
        file: 'unet.onnx', timesteps: 1000, schedule: { kind: 'linear', betaStart: 0.0001, betaEnd: 0.02 },
        defaultSteps: 10, pixelRange: [-1, 1],
      },
    } : {}),
    ...(withFeatures ? {
      features: {
        file: 'features.onnx', inputName: 'images', featuresName: 'features', logitsName: 'logits',
        classes: ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'],
      },
    } : {}),
    files: {},
  };
  for (const [name, bytes] of Object.entries(files)) {
    await writeFile(join(dir, name), bytes);
    manifest.files[name] = { sha256: sha256(bytes), bytes: bytes.byteLength };
  }
  o.mutateManifest?.(manifest);
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, manifest, modules, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Reads a pack's manifest.json, lets `mutate` change it, and writes it back (hashes untouched). */
export async function rewriteManifest(dir: string, mutate: (manifest: TestManifest) => void): Promise<void> {
  const path = join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8')) as TestManifest;
  mutate(manifest);
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Options for writeTestImages. */
export interface TestImagesOptions {
  readonly count: number;
  readonly width?: number;
  readonly height?: number;
  /** 1 = grey, 3 = RGB, 4 = RGBA. */
  readonly channels?: 1 | 3 | 4;
  readonly format?: 'png' | 'jpeg' | 'webp';
  readonly seed?: number;
  /** File name prefix; names are `<prefix><index, zero-padded>.<ext>`. */
  readonly prefix?: string;
  /**
   * 'noise' (default): random pixels. 'flat': one grey level per image plus the index in the first pixel, which
   * compresses to ~1 KB at any size (for large-image memory tests); still unique per image up to 65,536.
   */
  readonly pattern?: 'noise' | 'flat';
}

/**
 * Writes `count` small random-noise images into `dir` (created) and returns their file names. Deterministic for
 * a given seed. Used to fill private-set folders in tests and benchmarks.
 */
export async function writeTestImages(dir: string, o: TestImagesOptions): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const w = o.width ?? 12;
  const h = o.height ?? 12;
  const ch = o.channels ?? 3;
  const format = o.format ?? 'png';
  const next = seededUniform(o.seed ?? 7);
  const names: string[] = [];
  const digits = String(Math.max(o.count - 1, 1)).length;
  for (let i = 0; i < o.count; i++) {
    const pixels = Buffer.alloc(w * h * ch);
    if (o.pattern === 'flat') {
      pixels.fill((i * 37) % 256);
      pixels[0] = i & 255;
      pixels[Math.min(1, pixels.length - 1)] = (i >> 8) & 255;
    } else {
      for (let p = 0; p < pixels.length; p++) pixels[p] = Math.floor(next() * 256);
    }
    const name = `${o.prefix ?? 'img'}${String(i).padStart(digits, '0')}.${format === 'jpeg' ? 'jpg' : format}`;
    if (format === 'png') {
      // fast-png writes small PNGs much faster than a libvips pipeline per file (10,000 files for the benchmark).
      await writeFile(join(dir, name), encodePng({ width: w, height: h, data: pixels, channels: ch, depth: 8 }));
    } else {
      await sharp(pixels, { raw: { width: w, height: h, channels: ch } }).toFormat(format).toFile(join(dir, name));
    }
    names.push(name);
  }
  return names;
}
