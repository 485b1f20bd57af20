/**
 * Load Private Images: the conditioning route's way in for a private image folder. It reads a sub-folder of
 * ComfyUI/models/dp_private_sets/ (which ComfyUI does not serve) in the worker and outputs the images as one IMAGE
 * batch for core CLIPVisionEncode and DP Embed (CLIP Vision). Its ui text, progress and errors are the same for
 * every set: nothing about the set, not its size, names or reading time, reaches ComfyUI through this node.
 * The IMAGE itself is private pixels: it must go only to CLIPVisionEncode and DP Embed (CLIP Vision).
 */
import { loadPrivateImageBatch } from '../src/conditioning/private-images.js';
import { NODE_CATEGORY, type InputSpec, type NodeDefinition } from '../src/worker/node-definition.js';
import { readNodeInputs } from '../src/worker/input-schema.js';
import { DpHyperLoraError } from '../src/errors.js';
import { ON_UNREADABLE_INPUT, PRIVATE_FOLDER_TOOLTIP, SERVED_FOLDER_WARNING, isServedByComfy } from './dp-embed.js';

const ID = 'DPHyperLoRA_LoadPrivateImages';

/** The node's ui text: one fixed line for any set (PUBLIC: it must not depend on the set). */
export const LOAD_PRIVATE_IMAGES_TEXT = 'private images loaded in the worker; their number stays private';

const INPUTS = [
  {
    kind: 'CHOICE', name: 'folder', source: 'input_folders',
    tooltip: PRIVATE_FOLDER_TOOLTIP,
  },
  ON_UNREADABLE_INPUT,
  {
    kind: 'INT', name: 'size', default: 224, min: 16, max: 2048, step: 1,
    tooltip: 'Each image is resized and centre-cropped to size × size pixels so that the set forms one batch. CLIP-vision models resize to 224 anyway, so 224 loses nothing.',
  },
] as const satisfies readonly InputSpec[];

/** Load Private Images. */
export const loadPrivateImages: NodeDefinition = {
  id: ID,
  displayName: 'Load Private Images',
  category: NODE_CATEGORY,
  description:
    'The Stable Diffusion route\'s private image loader: reads your private folder (a sub-folder of ComfyUI/models/dp_private_sets/, '
    + 'which ComfyUI does not serve) in the background worker and outputs the images as one IMAGE batch. '
    + 'Connect its IMAGE only to CLIPVisionEncode and DP Embed (CLIP Vision), never to a preview or save node: these are your private pixels. '
    + 'Nothing about the set, not even how many images it has, is shown.',
  inputs: INPUTS,
  outputs: [{
    name: 'IMAGE', type: 'IMAGE',
    tooltip: 'Your private images (size × size RGB batch). Connect only to CLIPVisionEncode and DP Embed (CLIP Vision); never to a preview or save node.',
  }],
  host: { cacheKey: { kind: 'folder_content', input: 'folder' } },
  // Listing and decoding the folder takes time that grows with n: the host keeps that time to itself.
  readsPrivateData: true,

  async execute(inputs, ctx) {
    const v = readNodeInputs(ID, INPUTS, inputs);
    if (v.folder.path === null) {
      throw new DpHyperLoraError('IMAGES_EMPTY', `${ID}: no private folder chosen; put your images in a sub-folder of ComfyUI/models/dp_private_sets/ and pick it.`);
    }
    const image = await loadPrivateImageBatch({ dir: v.folder.path, size: v.size, onUnreadable: v.on_unreadable, signal: ctx.signal });
    const text = [LOAD_PRIVATE_IMAGES_TEXT];
    if (isServedByComfy(v.folder.name)) text.push(SERVED_FOLDER_WARNING);
    return { outputs: { IMAGE: { kind: 'tensor', tensor: image } }, ui: { text } };
  },
};
