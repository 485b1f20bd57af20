/**
 * Shared pieces of the example workflows' compact descriptions (scripts/workflow-specs.ts lists the workflows,
 * scripts/conditioning-workflows.ts holds the Stable Diffusion route's): the spec types, placeholder names, Note
 * nodes and the friendly titles of our nodes.
 */

/** One node: id, type, position, widget values, and links into its inputs ([from node, output slot]). */
export interface NodeSpec {
  readonly id: number;
  readonly type: string;
  readonly pos: [number, number];
  readonly size?: [number, number];
  readonly title?: string;
  readonly color?: string;
  readonly widgets: unknown[];
  readonly links?: Record<string, [number, number]>;
}

/** A titled box drawn behind a step of the workflow: [x, y, width, height] in canvas units. */
export interface GroupSpec {
  readonly title: string;
  readonly bounding: [number, number, number, number];
  readonly color?: string;
}

/** One workflow. */
export interface WorkflowSpec {
  readonly name: string;
  readonly description: string;
  readonly nodes: readonly NodeSpec[];
  readonly groups?: readonly GroupSpec[];
}

/** Checkpoint file names the examples use as placeholders. */
export const EXAMPLE_CHECKPOINTS = { sd15: 'v1-5-pruned-emaonly.safetensors', sdxl: 'sd_xl_base_1.0.safetensors' } as const;
/** The Stable Diffusion route's placeholders: conditioning packs, CLIP-vision files, IP-Adapter files, image folders. */
export const EXAMPLE_CONDITIONING = {
  packVitH: 'my-conditioning-vit-h', packBigG: 'my-conditioning-vit-bigg',
  clipVitH: 'CLIP-ViT-H-14-laion2B-s32B-b79K.safetensors', clipBigG: 'CLIP-ViT-bigG-14-laion2B-39B-b160k.safetensors',
  ipadapterSd15: 'ip-adapter_sd15.safetensors', ipadapterSdxl: 'ip-adapter_sdxl_vit-h.safetensors',
  privateFolder: 'my-private-images', publicFolder: 'my-public-images',
} as const;

/** Colour of our nodes in the examples. */
export const DP = '#335544';

/** A frontend-only Note node (not part of the prompt): plain words that explain a step. */
export function note(id: number, pos: [number, number], size: [number, number], text: string): NodeSpec {
  return { id, type: 'Note', pos, size, color: '#432', widgets: [text] };
}

/** Moves nodes by (dx, dy) and gives our nodes titles that keep the node's name and say what it does for the user. */
export function explained(nodes: readonly NodeSpec[], dx: number, dy: number): NodeSpec[] {
  const titles: Record<string, string> = {
    DPHyperLoRA_LoadHypernetwork: 'Load DP Hypernetwork · the model pack',
    DPHyperLoRA_Embed: 'DP Embed · your private images',
    DPHyperLoRA_NoisyAggregate: 'Noisy Aggregate · spends privacy budget',
    DPHyperLoRA_HypernetworkLoRA: 'Hypernetwork LoRA · makes the LoRA (free)',
    DPHyperLoRA_EmbedClipVision: 'DP Embed (CLIP Vision) · your private images',
    DPHyperLoRA_Conditioning: 'DP Conditioning · back to an image embedding (free)',
    DPHyperLoRA_BuildConditioningPack: 'Build DP Conditioning Pack · from PUBLIC images (free)',
  };
  return nodes.map((n) => ({ ...n, pos: [n.pos[0] + dx, n.pos[1] + dy], ...(n.title === undefined && titles[n.type] ? { title: titles[n.type] } : {}) }));
}

/** Group colours: a free step, and the step that spends privacy budget. */
export const STEP_COLOUR = '#3f789e';
export const SPEND_COLOUR = '#a1309b';
