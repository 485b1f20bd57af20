/**
 * The example pack's one node: Invert Image (IMAGE → IMAGE). The bridge sends an IMAGE as uint8 [B, H, W, C], so
 * inverting is 255 − v per channel value, exactly.
 */
import { tensorInput, type NodeDefinition } from '../../../src/index.js';

/** The pack's node id prefix and menu category. */
export const PACK = { idPrefix: 'ExampleInvert_', category: 'Example Invert', version: '0.2.0' } as const;

/** Invert Image: every channel value v becomes 255 − v. */
export const INVERT_IMAGE: NodeDefinition = {
  id: `${PACK.idPrefix}InvertImage`,
  displayName: 'Invert Image (TypeScript)',
  category: PACK.category,
  description: 'Inverts an image batch: every channel value v becomes 255 − v. Runs in the pack\'s Node.js worker.',
  inputs: [{ kind: 'SOCKET', name: 'image', type: 'IMAGE', tooltip: 'The images to invert.' }],
  outputs: [{ name: 'IMAGE', type: 'IMAGE', tooltip: 'The inverted images, same shape.' }],
  async execute(inputs) {
    const image = tensorInput(INVERT_IMAGE.id, inputs, 'image');
    const out = new Uint8Array(image.data.length);
    for (let i = 0; i < out.length; i++) out[i] = 255 - image.data[i]!;
    return { outputs: { IMAGE: { kind: 'tensor', tensor: { dtype: 'uint8', shape: image.shape, data: out } } } };
  },
};

/** Every node of the pack. */
export const NODES = [INVERT_IMAGE];
