/**
 * Compact descriptions of the example workflows (scripts/make-workflows.ts turns them into files). Only core
 * ComfyUI nodes and ours. Widget values are listed in the order ComfyUI stores them.
 */
import type { ChoiceLists } from '../src/worker/object-info.js';
import { buildPackWorkflow, ipAdapterWorkflow, revisionWorkflow } from './conditioning-workflows.js';
import { DP, EXAMPLE_CHECKPOINTS, EXAMPLE_CONDITIONING, explained, note, SPEND_COLOUR, STEP_COLOUR, type NodeSpec, type WorkflowSpec } from './workflow-parts.js';

export type { GroupSpec, NodeSpec, WorkflowSpec } from './workflow-parts.js';
export { EXAMPLE_CHECKPOINTS, EXAMPLE_CONDITIONING } from './workflow-parts.js';

/** Names used by the examples for machine-specific dropdowns. */
export const EXAMPLE_PACKS = { reference: 'reference (bundled)', sd15: 'my-sd15-pack', sdxl: 'my-sdxl-pack' } as const;
export const EXAMPLE_FOLDERS = { bundled: 'demo-data/private-set (bundled)', user: 'my-private-images' } as const;
/** Dropdown lists that contain every example's values (as on a machine with the packs installed). */
export const EXAMPLE_CHOICES: ChoiceLists = {
  packs: [EXAMPLE_PACKS.reference, EXAMPLE_PACKS.sd15, EXAMPLE_PACKS.sdxl, EXAMPLE_CONDITIONING.packVitH, EXAMPLE_CONDITIONING.packBigG],
  input_folders: [EXAMPLE_FOLDERS.bundled, '(none: use the images input)', EXAMPLE_FOLDERS.user],
};

function dpChain(pack: string, folder: string, x0: number): NodeSpec[] {
  return [
    { id: 1, type: 'DPHyperLoRA_LoadHypernetwork', pos: [x0, 100], color: DP, widgets: [pack] },
    { id: 2, type: 'DPHyperLoRA_Embed', pos: [x0, 260], color: DP, widgets: [folder, 'fail'], links: { pack: [1, 0] } },
    { id: 3, type: 'DPHyperLoRA_NoisyAggregate', pos: [x0 + 360, 260], size: [340, 480], color: DP, widgets: [1, 0.00001, 'add-remove', 0, 1, 'stop after the count'], links: { embeddings: [2, 0] } },
  ];
}

const NOTE_PRIVATE = 'Steps 1-2 · Your images become one protected summary.\n'
  + '• DP Embed reads the folder you pick. Put private folders in ComfyUI/models/dp_private_sets/ (ComfyUI does not serve it); '
  + 'folders under input/ work but anyone who can reach ComfyUI can download them. The folder name is saved in this workflow and in PNGs.\n'
  + '• Noisy Aggregate adds privacy noise once and charges each image\'s budget. Re-running the same settings is free; '
  + 'a new "release" number, or any change of ε, δ, relation or images, spends budget again.';
const NOTE_LORA = 'Step 3 · The summary becomes a LoRA.\nNo privacy cost: change strengths and re-run as often as you like.';

function sdWorkflow(name: string, base: 'sd15' | 'sdxl'): WorkflowSpec {
  const size = base === 'sd15' ? 512 : 1024;
  const label = base === 'sd15' ? 'SD1.5' : 'SDXL';
  return {
    name,
    description: `NOT USABLE YET: needs a ${label} pack, and none exists yet (training one needs a GPU). The graph shows how a private folder → DP LoRA → ${label} txt2img `
      + `would be wired; it validates, but without a ${base} pack in models/dp_hyperlora it cannot run. What works today: 0-reference-demo.`,
    nodes: [
      note(30, [20, -300], [1100, 260], `Status: this ${label} workflow does not work yet.\n`
        + `It needs a ${label} model pack in ComfyUI/models/dp_hyperlora/, and no such pack exists yet. The LoRA layout and loading for ${label} are `
        + 'implemented and tested, but nothing makes a useful LoRA without a trained pack. What runs today is the reference demo (template 0), '
        + 'on its own small model. See the README\'s status table.'),
      note(31, [20, 60], [720, 150], NOTE_PRIVATE),
      note(32, [780, 60], [340, 150], NOTE_LORA),
      note(33, [1140, -100], [1060, 120], `Step 4 · Your usual ${label} txt2img, with the DP LoRA applied to MODEL and CLIP by Hypernetwork LoRA. Sampling costs no privacy budget.`),
      { id: 20, type: 'CheckpointLoaderSimple', pos: [40, 700], title: `Your ${label} checkpoint`, widgets: [EXAMPLE_CHECKPOINTS[base]] },
      ...explained(dpChain(EXAMPLE_PACKS[base], EXAMPLE_FOLDERS.user, 40), 0, 140),
      ...explained([{ id: 4, type: 'DPHyperLoRA_HypernetworkLoRA', pos: [800, 260], color: DP, widgets: [1, 1], links: { pack: [1, 0], dataset_embedding: [3, 0], model: [20, 0], clip: [20, 1] } }], 0, 140),
      { id: 5, type: 'CLIPTextEncode', pos: [1160, 100], size: [400, 160], title: 'Positive', widgets: ['a painting of a harbour at dusk'], links: { clip: [4, 1] } },
      { id: 6, type: 'CLIPTextEncode', pos: [1160, 300], size: [400, 160], title: 'Negative', widgets: ['blurry, low quality'], links: { clip: [4, 1] } },
      { id: 7, type: 'EmptyLatentImage', pos: [1160, 500], widgets: [size, size, 1] },
      { id: 8, type: 'KSampler', pos: [1600, 100], size: [320, 270], widgets: [42, 'randomize', base === 'sd15' ? 25 : 30, 7, 'euler', 'normal', 1], links: { model: [4, 0], positive: [5, 0], negative: [6, 0], latent_image: [7, 0] } },
      { id: 9, type: 'VAEDecode', pos: [1600, 420], widgets: [], links: { samples: [8, 0], vae: [20, 2] } },
      { id: 10, type: 'SaveImage', pos: [1960, 100], size: [400, 420], widgets: [`dp_hyperlora_${base}`], links: { images: [9, 0] } },
    ],
    groups: [
      { title: 'Steps 1-2 · private images → protected summary (spends budget)', bounding: [20, -10, 740, 900], color: SPEND_COLOUR },
      { title: 'Step 3 · summary → LoRA (free)', bounding: [780, -10, 360, 900], color: STEP_COLOUR },
      { title: `Step 4 · ${label} txt2img with the DP LoRA (free)`, bounding: [1140, -10, 1240, 900], color: STEP_COLOUR },
    ],
  };
}

/** The example workflows. */
export const WORKFLOWS: readonly WorkflowSpec[] = [
  {
    name: '0-reference-demo',
    description: 'Works today, on any CPU: the bundled sample private set → DP LoRA (ε = 1) → the reference pack\'s own small diffusion model. '
      + 'Shows base-model samples and DP-LoRA samples side by side, from the same seed.',
    nodes: [
      note(30, [20, -300], [1100, 260], 'What this does: makes a LoRA from a private image set with a differential-privacy guarantee, then compares images with and without it.\n'
        + 'It runs end to end with the bundled reference pack (a tiny Fashion-MNIST diffusion model) and the bundled sample set, so it works on any CPU.\n'
        + 'Status: this reference model is the only thing that works end to end today. Stable Diffusion needs a pack that does not exist yet (see the README).\n'
        + 'Expect subtle differences: the reference LoRA changes details and the mix of clothing types, not whole images.'),
      note(31, [20, 60], [720, 150], NOTE_PRIVATE),
      note(32, [780, 60], [340, 150], NOTE_LORA),
      note(33, [1160, 60], [1260, 150], 'Step 4 · Compare. Both samplers use the same seed, so each pair starts from the same noise: '
        + 'left is the base model (LoRA strength 0), right is the same model with your DP LoRA. Sampling costs no privacy budget.'),
      ...explained(dpChain(EXAMPLE_PACKS.reference, EXAMPLE_FOLDERS.bundled, 40), 0, 140),
      ...explained([{ id: 4, type: 'DPHyperLoRA_HypernetworkLoRA', pos: [800, 260], color: DP, widgets: [1, 1], links: { pack: [1, 0], dataset_embedding: [3, 0] } }], 0, 140),
      { id: 8, type: 'DPHyperLoRA_ReferenceSampler', pos: [1180, 240], size: [320, 250], color: DP, title: 'Base model (LoRA strength 0)', widgets: [16, 42, 'fixed', 50, 0, 4], links: { pack: [1, 0], lora: [4, 2] } },
      { id: 5, type: 'DPHyperLoRA_ReferenceSampler', pos: [1600, 240], size: [320, 250], color: DP, title: 'With your DP LoRA (strength 1)', widgets: [16, 42, 'fixed', 50, 1, 4], links: { pack: [1, 0], lora: [4, 2] } },
      { id: 9, type: 'PreviewImage', pos: [1180, 520], size: [400, 400], title: 'Base model', widgets: [], links: { images: [8, 0] } },
      { id: 6, type: 'PreviewImage', pos: [1600, 520], size: [400, 400], title: 'With your DP LoRA', widgets: [], links: { images: [5, 0] } },
      { id: 7, type: 'SaveImage', pos: [2020, 520], size: [380, 400], title: 'Save the DP-LoRA images', widgets: ['dp_hyperlora_demo'], links: { images: [5, 0] } },
    ],
    groups: [
      { title: 'Steps 1-2 · private images → protected summary (spends budget)', bounding: [20, -10, 740, 900], color: SPEND_COLOUR },
      { title: 'Step 3 · summary → LoRA (free)', bounding: [780, -10, 360, 900], color: STEP_COLOUR },
      { title: 'Step 4 · base model | with your DP LoRA (same seed, free)', bounding: [1160, -10, 1260, 950], color: STEP_COLOUR },
    ],
  },
  sdWorkflow('1-sd15-not-yet-needs-an-sd15-pack', 'sd15'),
  sdWorkflow('2-sdxl-not-yet-needs-an-sdxl-pack', 'sdxl'),
  {
    name: '3-save-dp-lora',
    description: 'Works today with the bundled reference pack: makes a DP LoRA once and saves it into models/loras (with its ε, δ and pack in the metadata, nothing about your images) for reuse with the core Load LoRA node.',
    nodes: [
      note(30, [20, -300], [1100, 260], 'What this does: makes a DP LoRA once and keeps it as a file, so you can reuse it later without spending more privacy budget.\n'
        + 'As set up it uses the bundled reference pack and sample set (works on any CPU). A LoRA from the reference pack fits only the reference model, '
        + 'not Stable Diffusion: SD needs an SD pack, and none exists yet.'),
      note(31, [20, 60], [720, 150], NOTE_PRIVATE),
      note(32, [780, 60], [340, 150], NOTE_LORA),
      note(33, [1160, 60], [400, 150], 'Step 4 · Save. The file goes to ComfyUI/models/loras/; its name ends in a content hash, so nothing is overwritten. Saving is free.'),
      ...explained(dpChain(EXAMPLE_PACKS.reference, EXAMPLE_FOLDERS.bundled, 40), 0, 140),
      ...explained([{ id: 4, type: 'DPHyperLoRA_HypernetworkLoRA', pos: [800, 260], color: DP, widgets: [1, 1], links: { pack: [1, 0], dataset_embedding: [3, 0] } }], 0, 140),
      { id: 5, type: 'DPHyperLoRA_SaveLoRA', pos: [1180, 400], color: DP, title: 'Save DP LoRA · keep it for later', widgets: ['dp_hyperlora'], links: { lora: [4, 2] } },
    ],
    groups: [
      { title: 'Steps 1-2 · private images → protected summary (spends budget)', bounding: [20, -10, 740, 900], color: SPEND_COLOUR },
      { title: 'Step 3 · summary → LoRA (free)', bounding: [780, -10, 360, 900], color: STEP_COLOUR },
      { title: 'Step 4 · save (free)', bounding: [1160, -10, 440, 900], color: STEP_COLOUR },
    ],
  },
  ipAdapterWorkflow('4-dp-ipadapter-sd15', 'sd15'),
  ipAdapterWorkflow('5-dp-ipadapter-sdxl', 'sdxl'),
  revisionWorkflow(),
  buildPackWorkflow(),
];
