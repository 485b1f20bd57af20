/**
 * DP Embed: brings a private image set into the worker and returns an opaque handle. The images never enter
 * ComfyUI's graph when they come from a folder, and their embeddings are never stored anywhere: Noisy
 * Aggregate streams them through the pack's encoder, clips each one to C and adds them up right before the
 * one noisy release. The handle is 128 random bits; it reveals nothing about the set, not even its size.
 */
import { z } from 'zod';
import { DpHyperLoraError } from '../src/errors.js';
import type { DecodedImage } from '../src/pack/preprocess.js';
import { resolveImageInput, type ImageInput } from '../src/pack/image-source.js';
import { checkImageEncoderPack } from '../src/pack/pack-encoder-source.js';
import { NODE_CATEGORY, type InputSpec, type NodeDefinition } from '../src/worker/node-definition.js';
import { readNodeInputs } from '../src/worker/input-schema.js';
import { optionalTensor } from '../src/worker/inputs.js';
import { workerPack } from '../src/worker/resources.js';
import type { packValueSchema } from '../src/worker/socket-values.js';
import type { Tensor } from '../src/worker/values.js';

/** The handle type name (also the socket type). */
export const EMBEDDINGS_HANDLE = 'DP_EMBEDDINGS';

/** What the worker keeps behind a DP_EMBEDDINGS handle. */
export interface PrivateSet {
  readonly pack: z.infer<typeof packValueSchema>;
  readonly images: ImageInput;
}

const ID = 'DPHyperLoRA_Embed';

/** The label prefix the bridge gives sub-folders of ComfyUI's input/ (bridge/private_sets.py, INPUT_PREFIX). */
export const SERVED_FOLDER_PREFIX = 'input/';

/** The warning DP Embed shows when the private set sits where ComfyUI's `/view` serves it to any client. */
export const SERVED_FOLDER_WARNING = 'warning: this folder is in ComfyUI\'s input/, which ComfyUI serves to anyone who can reach it (GET /view); '
  + 'move it into ComfyUI/models/dp_private_sets/ and pick it again.';

/** True when a folder label names a sub-folder of ComfyUI's input/ (served by ComfyUI, so not private on disk). */
export function isServedByComfy(label: string): boolean {
  return label.startsWith(SERVED_FOLDER_PREFIX);
}

/** IMAGE uint8 [B, H, W, C] → decoded RGB images (views, no copies for RGB). */
function imagesFromTensor(t: Tensor): DecodedImage[] {
  const [count, height, width, channels] = t.shape;
  if (t.dtype !== 'uint8' || t.shape.length !== 4 || count === undefined || height === undefined || width === undefined || channels === undefined) {
    throw new DpHyperLoraError('INVALID_INPUT_DATA', `${ID}: images must be an IMAGE batch [B, H, W, C].`);
  }
  if (channels !== 3) {
    throw new DpHyperLoraError('INVALID_INPUT_DATA', `${ID}: images must have 3 colour channels (RGB), got ${channels}; remove the alpha channel or convert to RGB first.`);
  }
  const size = height * width * 3;
  return Array.from({ length: count }, (_, i) => ({ rgb: t.data.subarray(i * size, (i + 1) * size), width, height }));
}

/** The folder tooltip shared by every node that reads a private folder (DP Embed, Load Private Images). */
export const PRIVATE_FOLDER_TOOLTIP = 'Your private image folder: a sub-folder of ComfyUI/models/dp_private_sets/ (not downloadable from ComfyUI). "input/…" folders work but ComfyUI serves them to anyone who can reach it. The name is saved in workflows and PNGs.';

/** What to do with files of a private folder that are not readable images; shared by DP Embed and Load Private Images. */
export const ON_UNREADABLE_INPUT = {
  kind: 'COMBO', name: 'on_unreadable', options: ['fail', 'skip'], default: 'fail',
  tooltip: 'Files in the folder that are not images: "fail" stops the run before any privacy budget is spent; "skip" ignores them (never named, never counted in public).',
} as const satisfies InputSpec;

const INPUTS = [
  { kind: 'SOCKET', name: 'pack', type: 'DP_PACK', tooltip: 'The pack whose encoder embeds the images (from Load DP Hypernetwork).' },
  {
    kind: 'CHOICE', name: 'folder', source: 'input_folders', default: 'demo-data/private-set (bundled)',
    tooltip: `${PRIVATE_FOLDER_TOOLTIP} "(none: use the images input)" uses the images socket.`,
  },
  ON_UNREADABLE_INPUT,
  {
    kind: 'SOCKET', name: 'images', type: 'IMAGE', optional: true,
    tooltip: 'Private images as an IMAGE batch, used only when folder is "(none: use the images input)". Images that pass through the graph can show up in previews or history; a folder is safer.',
  },
] as const satisfies readonly InputSpec[];

/** DP Embed. */
export const dpEmbed: NodeDefinition = {
  id: ID,
  displayName: 'DP Embed',
  category: NODE_CATEGORY,
  description:
    'Step 1 of making your DP LoRA: point it at the folder of images you want to learn from. '
    + 'The images stay private: only the background worker reads them, they never appear in the graph, previews or history, '
    + 'and nothing about them (not even how many there are) is shown. Keep the folder in ComfyUI/models/dp_private_sets/ '
    + '(ComfyUI does not serve that folder); a folder under input/ still works, but ComfyUI lets any client download those files.\n'
    + 'The folder name you see is a label you chose; saved workflows and generated PNGs record it, so pick a name you are happy to share.',
  inputs: INPUTS,
  outputs: [{ name: 'DP_EMBEDDINGS', type: 'DP_EMBEDDINGS', tooltip: 'A sealed reference to your images inside the worker (reveals nothing about them); connect it to Noisy Aggregate.' }],
  host: { cacheKey: { kind: 'folder_content', input: 'folder' } },
  // Listing and checking the folder takes time that grows with n: the host keeps that time to itself.
  readsPrivateData: true,

  async execute(inputs, ctx) {
    const v = readNodeInputs(ID, INPUTS, inputs);
    const tensor = optionalTensor(ID, inputs, 'images');
    if (v.folder.path !== null && tensor !== undefined) {
      throw new DpHyperLoraError('INVALID_ARGUMENT', `${ID}: both a folder and an images input are given; choose one: set folder to "(none: use the images input)" or disconnect images.`);
    }
    let images: ImageInput;
    if (v.folder.path !== null) images = { kind: 'folder', dir: v.folder.path, onUnreadable: v.on_unreadable };
    else if (tensor !== undefined) images = { kind: 'decoded', images: imagesFromTensor(tensor) };
    else throw new DpHyperLoraError('IMAGES_EMPTY', `${ID}: no private images: choose a folder or connect the images input.`);
    // An SD pack's φ starts with ComfyUI's CLIP-vision model: refuse it here rather than at Noisy Aggregate.
    checkImageEncoderPack(await workerPack(v.pack, ctx.settings));
    // Lists and checks the folder now (unreadable policy, empty folder) so that problems show on this node.
    await resolveImageInput(images, ctx.signal);
    const set: PrivateSet = { pack: v.pack, images };
    const handle = ctx.handles.put(EMBEDDINGS_HANDLE, set);
    const text = ['private set held in the worker (its size stays private)'];
    if (isServedByComfy(v.folder.name)) text.push(SERVED_FOLDER_WARNING);
    return { outputs: { DP_EMBEDDINGS: { kind: 'handle', type: EMBEDDINGS_HANDLE, handle } }, ui: { text } };
  },
};
