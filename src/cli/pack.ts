/**
 * `dp-hyperlora pack build-conditioning --embeddings FILE.safetensors --k K --name NAME --whose TEXT --out DIR
 * [--family F] [--force] [--json]`: the CLI twin of the Build DP Conditioning Pack node, for people outside
 * ComfyUI. FILE holds PUBLIC images' CLIP-vision embeddings as a tensor `image_embeds` [m, d] (F32, F16 or BF16).
 * The pack goes to DIR/NAME (manifest.json + basis.safetensors); put it under ComfyUI's models/dp_hyperlora.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { familyFromDim } from '../conditioning/family.js';
import { buildConditioningPack, writeConditioningPack } from '../conditioning/pack.js';
import type { ConditioningManifest } from '../conditioning/pack-manifest.js';
import { DpHyperLoraError } from '../errors.js';
import { decodeFloats } from '../lora/dtype.js';
import { parseSafetensors } from '../lora/safetensors-reader.js';
import { parseOptions } from './calculator-options.js';
import type { RegisterCommand } from './commands.js';
import { emit } from './output.js';
import { registerClipFrames } from './pack-clip-frames.js';

const schema = z.object({
  embeddings: z.string({ message: '--embeddings is required' }).min(1),
  k: z.string().trim().regex(/^\d+$/, '--k must be a whole number >= 1').transform(Number),
  name: z.string({ message: '--name is required' }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, '--name must be a plain folder name (letters, digits, . _ -)'),
  whose: z.string({ message: '--whose is required: say whose public images these are (source, licence)' }).trim().min(1),
  out: z.string({ message: '--out is required (the folder to write the pack folder into)' }).min(1),
  family: z.string().optional(),
  force: z.boolean().optional(),
  json: z.boolean().optional(),
});

/** Reads the public image_embeds [m, d] from a safetensors file. */
export async function readPublicEmbeddings(path: string): Promise<{ rows: Float32Array; m: number; d: number; family: string | undefined }> {
  const bytes = await readFile(path).catch((e: unknown) => {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `cannot read --embeddings ${path}; check the path.`, { cause: e });
  });
  const file = parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const t = file.tensors.find((x) => x.name === 'image_embeds');
  const [m, d] = t?.shape ?? [];
  if (t === undefined || t.shape.length !== 2 || m === undefined || d === undefined) {
    throw new DpHyperLoraError('INVALID_INPUT_DATA', `${path} has no tensor image_embeds of shape [images, dim]; save the public images' CLIPVisionEncode image_embeds under that name.`);
  }
  return { rows: decodeFloats(t.bytes, t.dtype), m, d, family: file.metadata?.family };
}

function human(m: ConditioningManifest, dir: string): string {
  return [
    `wrote ${dir} (manifest.json, basis.safetensors) from ${m.builtFrom.images} public images (${m.builtFrom.whose})`,
    `${m.model.family}: image_embeds ${m.model.dim}-d -> k = ${m.basis.k} directions, ${(100 * m.basis.explainedShare).toPrecision(3)}% of the public variance`,
    `clip norm C = ${m.dp.clipNorm.toPrecision(4)} (${m.dp.rule}); output norm ${m.output.norm.toPrecision(4)}`,
  ].join('\n');
}

/** Registers `pack`: build-conditioning, and clip-frames for the SD pack trainer. */
export const registerPack: RegisterCommand = (program: Command) => {
  const pack = program.command('pack').description('model packs: build a conditioning pack for the Stable Diffusion route');
  pack.command('build-conditioning')
    .description('fit a public basis (PCA) to PUBLIC CLIP-vision image_embeds and write a conditioning pack (never use the private images)')
    .option('--embeddings <file>', 'safetensors file with a tensor image_embeds [m, d] of PUBLIC images')
    .option('--k <k>', 'number of public directions', '32')
    .option('--name <name>', 'pack name (the folder created under --out)')
    .option('--whose <text>', 'whose public images these are (source and licence), written into the manifest')
    .option('--out <dir>', 'folder to create the pack folder in, e.g. ComfyUI/models/dp_hyperlora')
    .option('--family <family>', 'CLIP-vision model family (default: from the file\'s metadata or the dimension), e.g. clip-vit-h-14')
    .option('--force', 'replace an existing pack of the same name')
    .option('--json', 'print the manifest as JSON')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(schema, raw);
      const e = await readPublicEmbeddings(o.embeddings);
      const built = buildConditioningPack({ rows: e.rows, m: e.m, model: familyFromDim(e.d, o.family ?? e.family), k: o.k, id: o.name, whose: o.whose });
      const dir = join(o.out, o.name);
      await writeConditioningPack(dir, built, o.force === true);
      emit(o.json === true, built.manifest, (m) => human(m, dir));
    });
  registerClipFrames(pack);
};
