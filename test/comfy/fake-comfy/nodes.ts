/**
 * What the test server's nodes do. Core IMAGE nodes behave like ComfyUI's (sizes, file names, the
 * "outside the output folder" error of SaveImage); an IMAGE is represented by its size only. Any other
 * class from the server's object_info runs as a pass-through that yields one placeholder per output, so
 * workflows from workflows/ run end to end (honestly: no pixels, just the protocol).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import sharp from 'sharp';
import type { NodeDef } from '../../../src/comfy/object-info.js';

/** An IMAGE value: a batch of `batch` images of width × height. */
export interface FakeImage {
  kind: 'IMAGE';
  width: number;
  height: number;
  batch: number;
}

/** An exception a node raises, reported as execution_error. */
export class NodeException extends Error {
  constructor(readonly exceptionType: string, message: string) { super(message); }
}

/** The folders and counters a node run may touch. */
export interface NodeContext {
  inputDir: string;
  outputDir: string;
  tempDir: string;
  /** Next file counter per (folder, prefix), as ComfyUI's get_save_image_path computes it. */
  counters: Map<string, number>;
}

/** The result of one node: its outputs (by slot) and its ui dict, if any. */
export interface NodeResult {
  outputs: unknown[];
  ui?: Record<string, unknown[]>;
}

async function saveImages(img: FakeImage, prefix: string, dir: string, kind: 'output' | 'temp', ctx: NodeContext): Promise<NodeResult> {
  const full = resolve(dir, prefix);
  if (!full.startsWith(resolve(dir) + sep)) {
    throw new NodeException('Exception', `**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: ${full}\n         output_dir: ${dir}\n`);
  }
  const slash = prefix.lastIndexOf('/');
  const subfolder = slash >= 0 ? prefix.slice(0, slash) : '';
  const base = slash >= 0 ? prefix.slice(slash + 1) : prefix;
  mkdirSync(join(dir, subfolder), { recursive: true });
  const key = `${dir}|${prefix}`;
  const images: { filename: string; subfolder: string; type: string }[] = [];
  for (let b = 0; b < img.batch; b++) {
    const counter = ctx.counters.get(key) ?? 1;
    ctx.counters.set(key, counter + 1);
    const filename = `${base}_${String(counter).padStart(5, '0')}_.png`;
    const png = await sharp({ create: { width: Math.max(1, img.width), height: Math.max(1, img.height), channels: 3, background: { r: 90, g: 140, b: 250 } } }).png().toBuffer();
    writeFileSync(join(dir, subfolder, filename), png);
    images.push({ filename, subfolder, type: kind });
  }
  return { outputs: [], ui: { images } };
}

function scaled(img: FakeImage, width: number, height: number): FakeImage {
  // ImageScale: a 0 side keeps the aspect ratio; both 0 returns the input.
  if (width === 0 && height === 0) return img;
  const w = width === 0 ? Math.max(1, Math.round(img.width * height / img.height)) : width;
  const h = height === 0 ? Math.max(1, Math.round(img.height * width / img.width)) : height;
  return { ...img, width: w, height: h };
}

/** Runs one node. `loadSize` reads an input image's size (LoadImage). */
export async function runNode(classType: string, def: NodeDef, inputs: Record<string, unknown>, ctx: NodeContext,
  loadSize: (name: string) => Promise<{ width: number; height: number }>): Promise<NodeResult> {
  const img = inputs.image as FakeImage | undefined;
  switch (classType) {
    case 'LoadImage': {
      const size = await loadSize(String(inputs.image));
      return { outputs: [{ kind: 'IMAGE', ...size, batch: 1 }, { kind: 'MASK' }] };
    }
    case 'ImageScale':
      return { outputs: [scaled(img as FakeImage, Number(inputs.width), Number(inputs.height))] };
    case 'ImageScaleBy': {
      const s = Number(inputs.scale_by);
      return { outputs: [{ ...(img as FakeImage), width: Math.round((img as FakeImage).width * s), height: Math.round((img as FakeImage).height * s) }] };
    }
    case 'ImageInvert':
      return { outputs: [img] };
    case 'EmptyImage':
      return { outputs: [{ kind: 'IMAGE', width: Number(inputs.width), height: Number(inputs.height), batch: Number(inputs.batch_size) }] };
    case 'SaveImage':
      return saveImages(inputs.images as FakeImage, String(inputs.filename_prefix ?? 'ComfyUI'), ctx.outputDir, 'output', ctx);
    case 'PreviewImage':
      return saveImages(inputs.images as FakeImage, 'ComfyUI_temp_fake', ctx.tempDir, 'temp', ctx);
    default: {
      // Another installed class: one placeholder per declared output, and an image ui when it takes IMAGE in.
      const outputs = def.output.map((t) => (t === 'IMAGE' ? (Object.values(inputs).find((v) => (v as FakeImage)?.kind === 'IMAGE') ?? { kind: 'IMAGE', width: 64, height: 64, batch: 1 }) : { kind: String(t) }));
      const firstImage = Object.values(inputs).find((v) => (v as FakeImage)?.kind === 'IMAGE') as FakeImage | undefined;
      if (def.output_node && firstImage !== undefined) return { ...(await saveImages(firstImage, `${classType}`, ctx.outputDir, 'output', ctx)), outputs };
      return { outputs };
    }
  }
}
