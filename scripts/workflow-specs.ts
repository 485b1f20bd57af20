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

/** Names used by the examples for machine-specific dropdowns. */
export const EXAMPLE_PACKS = { reference: 'reference (bundled)', sd15: 'my-sd15-pack', sdxl: 'my-sdxl-pack' } as const;
export const EXAMPLE_FOLDERS = { bundled: 'demo-data/private-set (bundled)', user: 'my-private-images' } as const;
export const EXAMPLE_CHECKPOINTS = { sd15: 'v1-5-pruned-emaonly.safetensors', sdxl: 'sd_xl_base_1.0.safetensors' } as const;
/** The Stable Diffusion route's placeholders: conditioning packs, CLIP-vision files, IP-Adapter files, image folders. */
export const EXAMPLE_CONDITIONING = {
  packVitH: 'my-conditioning-vit-h', packBigG: 'my-conditioning-vit-bigg',
  clipVitH: 'CLIP-ViT-H-14-laion2B-s32B-b79K.safetensors', clipBigG: 'CLIP-ViT-bigG-14-laion2B-39B-b160k.safetensors',
  ipadapterSd15: 'ip-adapter_sd15.safetensors', ipadapterSdxl: 'ip-adapter_sdxl_vit-h.safetensors',
  privateFolder: 'my-private-images', publicFolder: 'my-public-images',
} as const;

/** Dropdown lists that contain every example's values (as on a machine with the packs installed). */
export const EXAMPLE_CHOICES: ChoiceLists = {
  packs: [EXAMPLE_PACKS.reference, EXAMPLE_PACKS.sd15, EXAMPLE_PACKS.sdxl, EXAMPLE_CONDITIONING.packVitH, EXAMPLE_CONDITIONING.packBigG],
  input_folders: [EXAMPLE_FOLDERS.bundled, '(none: use the images input)', EXAMPLE_FOLDERS.user],
};

const DP = '#335544';

function dpChain(pack: string, folder: string, x0: number): NodeSpec[] {
  return [
    { id: 1, type: 'DPHyperLoRA_LoadHypernetwork', pos: [x0, 100], color: DP, widgets: [pack] },
    { id: 2, type: 'DPHyperLoRA_Embed', pos: [x0, 260], color: DP, widgets: [folder, 'fail'], links: { pack: [1, 0] } },
    { id: 3, type: 'DPHyperLoRA_NoisyAggregate', pos: [x0 + 360, 260], size: [340, 260], color: DP, widgets: [1, 0.00001, 'add-remove', 0, 1, 'stop after the count'], links: { embeddings: [2, 0] } },
  ];
}

/** A frontend-only Note node (not part of the prompt): plain words that explain a step. */
function note(id: number, pos: [number, number], size: [number, number], text: string): NodeSpec {
  return { id, type: 'Note', pos, size, color: '#432', widgets: [text] };
}

/** Moves nodes by (dx, dy) and gives our nodes titles that keep the node's name and say what it does for the user. */
function explained(nodes: readonly NodeSpec[], dx: number, dy: number): NodeSpec[] {
  const titles: Record<string, string> = {
    DPHyperLoRA_LoadHypernetwork: 'Load DP Hypernetwork · the model pack',
    DPHyperLoRA_Embed: 'DP Embed · your private images',
    DPHyperLoRA_NoisyAggregate: 'Noisy Aggregate · spends privacy budget',
    DPHyperLoRA_HypernetworkLoRA: 'Hypernetwork LoRA · makes the LoRA (free)',
  };
  return nodes.map((n) => ({ ...n, pos: [n.pos[0] + dx, n.pos[1] + dy], ...(n.title === undefined && titles[n.type] ? { title: titles[n.type] } : {}) }));
}

const STEP_COLOUR = '#3f789e';
const SPEND_COLOUR = '#a1309b';

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
      { title: 'Steps 1-2 · private images → protected summary (spends budget)', bounding: [20, 20, 740, 760], color: SPEND_COLOUR },
      { title: 'Step 3 · summary → LoRA (free)', bounding: [780, 20, 360, 760], color: STEP_COLOUR },
      { title: `Step 4 · ${label} txt2img with the DP LoRA (free)`, bounding: [1140, 20, 1240, 760], color: STEP_COLOUR },
    ],
  };
}

const C = EXAMPLE_CONDITIONING;

/** Private folder → core CLIPVisionEncode → DP Embed (CLIP Vision) → Noisy Aggregate → DP Conditioning (ids 30-35). */
function dpConditioningChain(clipFile: string, pack: string): NodeSpec[] {
  return [
    { id: 30, type: 'LoadImageSetFromFolderNode', pos: [40, 100], title: 'Private images', widgets: [C.privateFolder, 'None'] },
    { id: 31, type: 'CLIPVisionLoader', pos: [40, 300], widgets: [clipFile] },
    { id: 32, type: 'CLIPVisionEncode', pos: [380, 300], widgets: ['center'], links: { clip_vision: [31, 0], image: [30, 0] } },
    { id: 33, type: 'DPHyperLoRA_EmbedClipVision', pos: [700, 100], color: DP, widgets: [pack], links: { clip_vision_output: [32, 0], images: [30, 0] } },
    { id: 34, type: 'DPHyperLoRA_NoisyAggregate', pos: [1040, 100], size: [340, 260], color: DP, widgets: [1, 0.00001, 'add-remove', 0, 1, 'stop after the count'], links: { embeddings: [33, 0] } },
    { id: 35, type: 'DPHyperLoRA_Conditioning', pos: [1420, 100], size: [340, 160], color: DP, widgets: [pack], links: { dp_embedding: [34, 0] } },
  ];
}

/** Text prompts, latent, sampler, decode and save around a model and a positive conditioning (ids 20-29). */
function sampling(base: 'sd15' | 'sdxl', model: [number, number], positive: [number, number]): NodeSpec[] {
  const size = base === 'sd15' ? 512 : 1024;
  return [
    { id: 24, type: 'EmptyLatentImage', pos: [1800, 700], widgets: [size, size, 1] },
    { id: 25, type: 'KSampler', pos: [2200, 400], size: [320, 270], widgets: [42, 'randomize', base === 'sd15' ? 25 : 30, 6, 'euler', 'normal', 1], links: { model, positive, negative: [23, 0], latent_image: [24, 0] } },
    { id: 26, type: 'VAEDecode', pos: [2560, 400], widgets: [], links: { samples: [25, 0], vae: [20, 2] } },
    { id: 27, type: 'SaveImage', pos: [2800, 400], size: [400, 420], widgets: [`dp_conditioning_${base}`], links: { images: [26, 0] } },
  ];
}

function ipAdapterWorkflow(name: string, base: 'sd15' | 'sdxl'): WorkflowSpec {
  return {
    name,
    description: `A private image folder → your CLIP-vision ViT-H → DP mean image embedding (ε = 1) → IP-Adapter (${base === 'sd15' ? 'SD1.5' : 'SDXL ViT-H'}, non-plus) → txt2img. `
      + 'Needs ComfyUI_IPAdapter_plus, a conditioning pack built from public images with the same CLIP-vision model (workflow 7), and your checkpoint.',
    nodes: [
      ...dpConditioningChain(C.clipVitH, C.packVitH),
      { id: 20, type: 'CheckpointLoaderSimple', pos: [1040, 500], widgets: [EXAMPLE_CHECKPOINTS[base]] },
      { id: 21, type: 'IPAdapterModelLoader', pos: [1040, 650], widgets: [base === 'sd15' ? C.ipadapterSd15 : C.ipadapterSdxl] },
      { id: 36, type: 'IPAdapterEmbeds', pos: [1800, 100], size: [320, 260], widgets: [0.8, 'linear', 0, 1, 'V only'], links: { model: [20, 0], ipadapter: [21, 0], pos_embed: [35, 1], neg_embed: [35, 2] } },
      { id: 22, type: 'CLIPTextEncode', pos: [1800, 400], size: [360, 140], title: 'Positive', widgets: ['a painting'], links: { clip: [20, 1] } },
      { id: 23, type: 'CLIPTextEncode', pos: [1800, 560], size: [360, 120], title: 'Negative', widgets: ['blurry, low quality'], links: { clip: [20, 1] } },
      ...sampling(base, [36, 0], [22, 0]),
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
      { title: 'Steps 1-2 · private images → protected summary (spends budget)', bounding: [20, 20, 740, 760], color: SPEND_COLOUR },
      { title: 'Step 3 · summary → LoRA (free)', bounding: [780, 20, 360, 760], color: STEP_COLOUR },
      { title: 'Step 4 · base model | with your DP LoRA (same seed, free)', bounding: [1160, 20, 1260, 920], color: STEP_COLOUR },
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
      { title: 'Steps 1-2 · private images → protected summary (spends budget)', bounding: [20, 20, 740, 760], color: SPEND_COLOUR },
      { title: 'Step 3 · summary → LoRA (free)', bounding: [780, 20, 360, 760], color: STEP_COLOUR },
      { title: 'Step 4 · save (free)', bounding: [1160, 20, 440, 760], color: STEP_COLOUR },
    ],
  },
  ipAdapterWorkflow('4-dp-ipadapter-sd15', 'sd15'),
  ipAdapterWorkflow('5-dp-ipadapter-sdxl', 'sdxl'),
  {
    name: '6-dp-revision-sdxl',
    description: 'A private image folder → CLIP-vision ViT-bigG → DP mean image embedding (ε = 1) → SDXL Revision (core unCLIPConditioning; SDXL reads image_embeds[:, :1280]) → txt2img. '
      + 'Needs a conditioning pack built from public images with the bigG model (workflow 7) and the SDXL base checkpoint.',
    nodes: [
      ...dpConditioningChain(C.clipBigG, C.packBigG),
      { id: 20, type: 'CheckpointLoaderSimple', pos: [1040, 500], widgets: [EXAMPLE_CHECKPOINTS.sdxl] },
      { id: 22, type: 'CLIPTextEncode', pos: [1400, 400], size: [360, 140], title: 'Positive (may stay empty for pure Revision)', widgets: [''], links: { clip: [20, 1] } },
      { id: 23, type: 'CLIPTextEncode', pos: [1400, 560], size: [360, 120], title: 'Negative', widgets: ['blurry, low quality'], links: { clip: [20, 1] } },
      { id: 37, type: 'unCLIPConditioning', pos: [1800, 300], widgets: [1, 0], links: { conditioning: [22, 0], clip_vision_output: [35, 0] } },
      ...sampling('sdxl', [20, 0], [37, 0]),
    ],
  },
  {
    name: '7-build-conditioning-pack',
    description: 'Builds the conditioning pack the DP IP-Adapter and Revision workflows need, from a folder of PUBLIC images (never the private ones) '
      + 'encoded by the CLIP-vision model you will use. Writes models/dp_hyperlora/<name>/; refresh the pack dropdowns afterwards.',
    nodes: [
      { id: 30, type: 'LoadImageSetFromFolderNode', pos: [40, 100], title: 'PUBLIC images', widgets: [C.publicFolder, 'None'] },
      { id: 31, type: 'CLIPVisionLoader', pos: [40, 300], widgets: [C.clipVitH] },
      { id: 32, type: 'CLIPVisionEncode', pos: [380, 300], widgets: ['center'], links: { clip_vision: [31, 0], image: [30, 0] } },
      { id: 38, type: 'DPHyperLoRA_BuildConditioningPack', pos: [700, 200], size: [360, 200], color: DP, widgets: [32, 'image_embeds', C.packVitH, 'my own photos, public (CC-BY 4.0)'], links: { public_clip_vision_output: [32, 0] } },
    ],
  },
];
