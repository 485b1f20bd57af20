/**
 * Compact descriptions of the example workflows (scripts/make-workflows.ts turns them into files). Only core
 * ComfyUI nodes and ours. Widget values are listed in the order ComfyUI stores them.
 */
import type { ChoiceLists } from '../src/worker/object-info.js';

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

/** One workflow. */
export interface WorkflowSpec {
  readonly name: string;
  readonly description: string;
  readonly nodes: readonly NodeSpec[];
}

/** Names used by the examples for machine-specific dropdowns. */
export const EXAMPLE_PACKS = { reference: 'reference (bundled)', sd15: 'my-sd15-pack', sdxl: 'my-sdxl-pack' } as const;
export const EXAMPLE_FOLDERS = { bundled: 'demo-data/private-set (bundled)', user: 'my-private-images' } as const;
export const EXAMPLE_CHECKPOINTS = { sd15: 'v1-5-pruned-emaonly.safetensors', sdxl: 'sd_xl_base_1.0.safetensors' } as const;

/** Dropdown lists that contain every example's values (as on a machine with the packs installed). */
export const EXAMPLE_CHOICES: ChoiceLists = {
  packs: [EXAMPLE_PACKS.reference, EXAMPLE_PACKS.sd15, EXAMPLE_PACKS.sdxl],
  input_folders: [EXAMPLE_FOLDERS.bundled, '(none: use the images input)', EXAMPLE_FOLDERS.user],
};

const DP = '#335544';

function dpChain(pack: string, folder: string, x0: number): NodeSpec[] {
  return [
    { id: 1, type: 'DPHyperLoRA_LoadHypernetwork', pos: [x0, 100], color: DP, widgets: [pack] },
    { id: 2, type: 'DPHyperLoRA_Embed', pos: [x0, 260], color: DP, widgets: [folder, 'fail'], links: { pack: [1, 0] } },
    { id: 3, type: 'DPHyperLoRA_NoisyAggregate', pos: [x0 + 360, 260], size: [340, 260], color: DP, widgets: [1, 0.00001, 'add-remove', 0, 1], links: { embeddings: [2, 0] } },
  ];
}

function sdWorkflow(name: string, base: 'sd15' | 'sdxl'): WorkflowSpec {
  const size = base === 'sd15' ? 512 : 1024;
  return {
    name,
    description: `A private image folder (in ComfyUI's input directory) → DP LoRA → ${base === 'sd15' ? 'SD1.5' : 'SDXL'} txt2img. `
      + `Needs a ${base} pack in models/dp_hyperlora and a ${base} checkpoint; pick yours in the two dropdowns.`,
    nodes: [
      { id: 20, type: 'CheckpointLoaderSimple', pos: [40, 560], widgets: [EXAMPLE_CHECKPOINTS[base]] },
      ...dpChain(EXAMPLE_PACKS[base], EXAMPLE_FOLDERS.user, 40),
      { id: 4, type: 'DPHyperLoRA_HypernetworkLoRA', pos: [780, 260], color: DP, widgets: [1, 1], links: { pack: [1, 0], dataset_embedding: [3, 0], model: [20, 0], clip: [20, 1] } },
      { id: 5, type: 'CLIPTextEncode', pos: [1140, 100], size: [400, 160], title: 'Positive', widgets: ['a painting of a harbour at dusk'], links: { clip: [4, 1] } },
      { id: 6, type: 'CLIPTextEncode', pos: [1140, 300], size: [400, 160], title: 'Negative', widgets: ['blurry, low quality'], links: { clip: [4, 1] } },
      { id: 7, type: 'EmptyLatentImage', pos: [1140, 500], widgets: [size, size, 1] },
      { id: 8, type: 'KSampler', pos: [1580, 200], size: [320, 270], widgets: [42, 'randomize', base === 'sd15' ? 25 : 30, 7, 'euler', 'normal', 1], links: { model: [4, 0], positive: [5, 0], negative: [6, 0], latent_image: [7, 0] } },
      { id: 9, type: 'VAEDecode', pos: [1940, 200], widgets: [], links: { samples: [8, 0], vae: [20, 2] } },
      { id: 10, type: 'SaveImage', pos: [2200, 200], size: [400, 420], widgets: [`dp_hyperlora_${base}`], links: { images: [9, 0] } },
    ],
  };
}

/** The four example workflows. */
export const WORKFLOWS: readonly WorkflowSpec[] = [
  {
    name: '0-reference-demo',
    description: 'Runs anywhere, on a CPU: the bundled sample private set → DP LoRA (ε = 1) → the reference pack\'s own small diffusion model → images.',
    nodes: [
      ...dpChain(EXAMPLE_PACKS.reference, EXAMPLE_FOLDERS.bundled, 40),
      { id: 4, type: 'DPHyperLoRA_HypernetworkLoRA', pos: [780, 260], color: DP, widgets: [1, 1], links: { pack: [1, 0], dataset_embedding: [3, 0] } },
      { id: 5, type: 'DPHyperLoRA_ReferenceSampler', pos: [1140, 260], size: [320, 250], color: DP, widgets: [16, 42, 'fixed', 50, 1, 4], links: { pack: [1, 0], lora: [4, 2] } },
      { id: 6, type: 'PreviewImage', pos: [1500, 100], size: [400, 400], widgets: [], links: { images: [5, 0] } },
      { id: 7, type: 'SaveImage', pos: [1500, 540], size: [400, 400], widgets: ['dp_hyperlora_demo'], links: { images: [5, 0] } },
    ],
  },
  sdWorkflow('1-private-folder-sd15', 'sd15'),
  sdWorkflow('2-private-folder-sdxl', 'sdxl'),
  {
    name: '3-save-dp-lora',
    description: 'Makes a DP LoRA once and saves it into models/loras (with its ε, δ and pack in the metadata) for reuse with the core Load LoRA node.',
    nodes: [
      ...dpChain(EXAMPLE_PACKS.reference, EXAMPLE_FOLDERS.bundled, 40),
      { id: 4, type: 'DPHyperLoRA_HypernetworkLoRA', pos: [780, 260], color: DP, widgets: [1, 1], links: { pack: [1, 0], dataset_embedding: [3, 0] } },
      { id: 5, type: 'DPHyperLoRA_SaveLoRA', pos: [1140, 260], color: DP, widgets: ['dp_hyperlora'], links: { lora: [4, 2] } },
    ],
  },
];
