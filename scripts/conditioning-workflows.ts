/**
 * The Stable Diffusion route's example workflows 4-7 (docs/conditioning.md): private images → CLIPVisionEncode →
 * DP Embed (CLIP Vision) → Noisy Aggregate → DP Conditioning → IP-Adapter or Revision, and the public pack builder.
 * Each explains itself to an artist: an overview Note, a Note per step, groups, titled DP nodes.
 */
import { DP, EXAMPLE_CHECKPOINTS, EXAMPLE_CONDITIONING, explained, note, SPEND_COLOUR, STEP_COLOUR, type GroupSpec, type NodeSpec, type WorkflowSpec } from './workflow-parts.js';

const C = EXAMPLE_CONDITIONING;
type CondBase = 'sd15' | 'sdxl-ipadapter' | 'sdxl-revision';
const COND_LABEL: Record<CondBase, string> = { sd15: 'SD1.5', 'sdxl-ipadapter': 'SDXL', 'sdxl-revision': 'SDXL' };

/** Where the conditioning route's private images go: Load Private Images reads models/dp_private_sets/, which ComfyUI does not serve. */
const NOTE_COND_FOLDER = 'Where your private images go: put them in a sub-folder of ComfyUI/models/dp_private_sets/ (ComfyUI does not serve that folder) '
  + 'and pick it in Load Private Images, which reads it inside the plugin; nothing about the set, not even how many images, is shown. '
  + 'Connect its IMAGE only to CLIP Vision Encode and DP Embed (CLIP Vision), never to a preview or save node. The folder name is saved in this workflow and in PNGs.';

/** Steps 1-5 of workflows 4-6 in plain words; `adapter` is step 5's note. */
function conditioningNotes(base: CondBase, needs: string, adapter: string): NodeSpec[] {
  const label = COND_LABEL[base];
  const via = base === 'sdxl-revision' ? 'SDXL Revision (core unCLIPConditioning)' : 'IP-Adapter (non-plus)';
  return [
    note(40, [20, -420], [1880, 390], `What this does: your ${label} images take on the look of your private image set, through ${via}, `
      + 'with a differential-privacy guarantee for each private image. It makes no LoRA: the private set becomes one protected image embedding that steers the sampler.\n'
      + `Status: works today with ${label} through the adapter you already have; no weights from us. Tested in a real ComfyUI 0.3.64 with random-weight `
      + 'models of the real architectures only (no real SD weights on our test machines), so image quality with real models is not measured yet.\n'
      + `What you need: ${needs}; and a conditioning pack built from PUBLIC images with workflow 7 and the same CLIP-vision model.\n`
      + 'Privacy cost: only Noisy Aggregate spends budget. Everything after it (conditioning, sampling, more images, other prompts) is free.'),
    note(41, [40, 40], [640, 180], `Step 1 · Your private images are loaded and encoded by your CLIP-vision model (CLIP Vision Encode). This is your computer's work only: nothing is released, no budget is spent.\n${NOTE_COND_FOLDER}`),
    note(42, [760, 40], [720, 180], 'Steps 2-3 · Your images become one protected summary.\n'
      + '• DP Embed (CLIP Vision) keeps the encoded images inside the plugin and uses the pixels only to recognise each image in the privacy ledger; nothing about them, not even how many, is shown.\n'
      + '• Noisy Aggregate adds privacy noise once and charges each image\'s budget (ε = 1 here). Re-running the same release number with the same settings is free; '
      + 'a new release number, or any change of ε, δ, relation or images, spends budget again. With too few images it stops after the noisy count (a small part of the cost) instead of giving you noise.'),
    note(43, [1540, 40], [360, 180], 'Step 4 · DP Conditioning turns the protected summary back into an image embedding your adapter understands, using only the public pack (pick the same pack as in DP Embed). No privacy cost.'),
    note(44, [1960, 40], [1520, 180], adapter),
  ];
}

/** The conditioning route's four groups (x ranges match the nodes below). */
function conditioningGroups(step5: string): GroupSpec[] {
  return [
    { title: 'Step 1 · private images → CLIP-vision encode (free)', bounding: [20, -28, 700, 928], color: STEP_COLOUR },
    { title: 'Steps 2-3 · DP Embed → Noisy Aggregate (spends budget)', bounding: [740, -28, 760, 928], color: SPEND_COLOUR },
    { title: 'Step 4 · DP Conditioning (free)', bounding: [1520, -28, 400, 928], color: STEP_COLOUR },
    { title: step5, bounding: [1940, -28, 1560, 928], color: STEP_COLOUR },
  ];
}

/** Private folder → core CLIPVisionEncode → DP Embed (CLIP Vision) → Noisy Aggregate → DP Conditioning (ids 30-35). */
function dpConditioningChain(clipFile: string, pack: string): NodeSpec[] {
  return explained([
    { id: 30, type: 'DPHyperLoRA_LoadPrivateImages', pos: [40, 240], color: DP, widgets: [C.privateFolder, 'fail', 224] },
    { id: 31, type: 'CLIPVisionLoader', pos: [40, 440], title: 'Your CLIP-vision model', widgets: [clipFile] },
    { id: 32, type: 'CLIPVisionEncode', pos: [370, 440], widgets: ['center'], links: { clip_vision: [31, 0], image: [30, 0] } },
    { id: 33, type: 'DPHyperLoRA_EmbedClipVision', pos: [760, 240], color: DP, widgets: [pack], links: { clip_vision_output: [32, 0], images: [30, 0] } },
    { id: 34, type: 'DPHyperLoRA_NoisyAggregate', pos: [1120, 240], size: [340, 480], color: DP, widgets: [1, 0.00001, 'add-remove', 0, 1, 'stop after the count'], links: { embeddings: [33, 0] } },
    { id: 35, type: 'DPHyperLoRA_Conditioning', pos: [1540, 240], size: [340, 160], color: DP, widgets: [pack], links: { dp_embedding: [34, 0] } },
  ], 0, 0);
}

/** Latent, sampler, decode and save around a model and a positive conditioning (ids 24-27; 23 is the negative prompt). */
function sampling(base: 'sd15' | 'sdxl', model: [number, number], positive: [number, number]): NodeSpec[] {
  const size = base === 'sd15' ? 512 : 1024;
  return [
    { id: 24, type: 'EmptyLatentImage', pos: [2720, 560], widgets: [size, size, 1] },
    { id: 25, type: 'KSampler', pos: [2720, 240], size: [320, 270], widgets: [42, 'randomize', base === 'sd15' ? 25 : 30, 6, 'euler', 'normal', 1], links: { model, positive, negative: [23, 0], latent_image: [24, 0] } },
    { id: 26, type: 'VAEDecode', pos: [3080, 240], widgets: [], links: { samples: [25, 0], vae: [20, 2] } },
    { id: 27, type: 'SaveImage', pos: [3080, 420], size: [400, 420], widgets: [`dp_conditioning_${base}`], links: { images: [26, 0] } },
  ];
}

/** Workflows 4-5: DP IP-Adapter (non-plus) for SD1.5 or SDXL ViT-H. */
export function ipAdapterWorkflow(name: string, base: 'sd15' | 'sdxl'): WorkflowSpec {
  const label = base === 'sd15' ? 'SD1.5' : 'SDXL';
  const file = base === 'sd15' ? C.ipadapterSd15 : C.ipadapterSdxl;
  return {
    name,
    description: `Works today with your ${label} checkpoint through IP-Adapter (non-plus), no weights from us: a private image folder → your CLIP-vision ViT-H → DP mean image embedding (ε = 1) → `
      + `IP-Adapter (${base === 'sd15' ? 'SD1.5' : 'SDXL ViT-H'}) → txt2img. `
      + 'Needs ComfyUI_IPAdapter_plus, a conditioning pack built from public images with the same CLIP-vision model (workflow 7), and your checkpoint.',
    nodes: [
      ...conditioningNotes(base === 'sd15' ? 'sd15' : 'sdxl-ipadapter', `your own CLIP-vision ViT-H model (ComfyUI/models/clip_vision/); ComfyUI_IPAdapter_plus with ${file} `
        + `(non-plus; Plus and FaceID models are not supported) in ComfyUI/models/ipadapter/; your ${label} checkpoint`,
      `Step 5 · Your usual ${label} txt2img. IPAdapterEmbeds applies the protected embedding to the model (weight 0.8: lower it for more of your prompt, `
        + 'raise it for more of your set\'s look). Prompts, seed and sampler are yours. Sampling costs no privacy budget: make as many images as you like.'),
      ...dpConditioningChain(C.clipVitH, C.packVitH),
      { id: 20, type: 'CheckpointLoaderSimple', pos: [1960, 240], title: `Your ${label} checkpoint`, widgets: [EXAMPLE_CHECKPOINTS[base]] },
      { id: 21, type: 'IPAdapterModelLoader', pos: [1960, 420], title: 'Your IP-Adapter model (non-plus)', widgets: [file] },
      { id: 36, type: 'IPAdapterEmbeds', pos: [2320, 240], size: [320, 260], widgets: [0.8, 'linear', 0, 1, 'V only'], links: { model: [20, 0], ipadapter: [21, 0], pos_embed: [35, 1], neg_embed: [35, 2] } },
      { id: 22, type: 'CLIPTextEncode', pos: [2320, 540], size: [360, 140], title: 'Positive', widgets: ['a painting'], links: { clip: [20, 1] } },
      { id: 23, type: 'CLIPTextEncode', pos: [2320, 700], size: [360, 120], title: 'Negative', widgets: ['blurry, low quality'], links: { clip: [20, 1] } },
      ...sampling(base, [36, 0], [22, 0]),
    ],
    groups: conditioningGroups(`Step 5 · IP-Adapter → your usual ${label} sampler (free)`),
  };
}

/** Workflow 6: DP SDXL Revision through core unCLIPConditioning. */
export function revisionWorkflow(): WorkflowSpec {
  return {
    name: '6-dp-revision-sdxl',
    description: 'Works today with your SDXL base checkpoint through SDXL Revision, no weights from us: a private image folder → CLIP-vision ViT-bigG → DP mean image embedding (ε = 1) → '
      + 'SDXL Revision (core unCLIPConditioning; SDXL reads image_embeds[:, :1280]) → txt2img. '
      + 'Needs a conditioning pack built from public images with the bigG model (workflow 7) and the SDXL base checkpoint.',
    nodes: [
      ...conditioningNotes('sdxl-revision', 'your own CLIP-vision ViT-bigG model (ComfyUI/models/clip_vision/) and the SDXL base checkpoint; no extra node pack',
        'Step 5 · Your usual SDXL txt2img with Revision: unCLIPConditioning adds the protected embedding to your prompt (strength 1). The positive prompt '
        + 'may stay empty to follow only your set\'s look. Prompts, seed and sampler are yours. Sampling costs no privacy budget: make as many images as you like.'),
      ...dpConditioningChain(C.clipBigG, C.packBigG),
      { id: 20, type: 'CheckpointLoaderSimple', pos: [1960, 240], title: 'Your SDXL base checkpoint', widgets: [EXAMPLE_CHECKPOINTS.sdxl] },
      { id: 22, type: 'CLIPTextEncode', pos: [1960, 420], size: [360, 140], title: 'Positive (may stay empty for pure Revision)', widgets: [''], links: { clip: [20, 1] } },
      { id: 23, type: 'CLIPTextEncode', pos: [1960, 600], size: [360, 120], title: 'Negative', widgets: ['blurry, low quality'], links: { clip: [20, 1] } },
      { id: 37, type: 'unCLIPConditioning', pos: [2360, 240], widgets: [1, 0], links: { conditioning: [22, 0], clip_vision_output: [35, 0] } },
      ...sampling('sdxl', [20, 0], [37, 0]),
    ],
    groups: conditioningGroups('Step 5 · Revision → your usual SDXL sampler (free)'),
  };
}

/** Workflow 7: the conditioning pack from PUBLIC images (no privacy cost). */
export function buildPackWorkflow(): WorkflowSpec {
  return {
    name: '7-build-conditioning-pack',
    description: 'Works today, no weights from us, and spends no privacy budget: builds the conditioning pack the DP IP-Adapter and Revision workflows (4-6) need, '
      + 'from a folder of PUBLIC images (never the private ones) encoded by the CLIP-vision model you will use. Writes models/dp_hyperlora/<name>/; refresh the pack dropdowns afterwards.',
    nodes: [
      note(40, [20, -330], [1680, 300], 'What this does: builds the conditioning pack that workflows 4-6 need, once per CLIP-vision model. The pack is a public summary '
        + '(an average and the main directions) of the CLIP-vision embeddings of PUBLIC images; workflows 4-6 use it to keep the privacy noise small.\n'
        + 'Status: works today; no weights from us. Nothing here is private, so nothing here spends privacy budget.\n'
        + 'What you need: your own CLIP-vision model (ViT-H for workflows 4-5, ViT-bigG for 6: a pack fits only the model it was built with), '
        + 'and a folder of public images in ComfyUI/input/, a few hundred if you can (several times k).'),
      note(41, [40, 40], [640, 180], 'Step 1 · PUBLIC images only, encoded by CLIP Vision Encode. Why public: the pack is kept and used without any privacy '
        + 'protection (no noise, no ledger), so an image used here is not protected at all. Use images you may share: your published work, openly licensed pictures. '
        + 'Never your private set: it belongs in ComfyUI/models/dp_private_sets/, read by Load Private Images in workflows 4-6 (and by DP Embed on the LoRA route).'),
      note(42, [760, 40], [400, 180], 'Step 2 · Build DP Conditioning Pack writes ComfyUI/models/dp_hyperlora/<name>/. k = 32 directions: fewer means less noise later '
        + 'but less detail kept; it needs more public images than k. "whose" says where the images come from and their licence; it is written into the pack, with how many there were.'),
      note(43, [1200, 40], [480, 180], 'Step 3 · Use the pack. Refresh ComfyUI (press R) so the pack dropdowns list it, then pick it in both DP Embed (CLIP Vision) '
        + 'and DP Conditioning of workflows 4-6, with the same CLIP-vision model as here. Rebuilding it from other public images is free.'),
      { id: 30, type: 'LoadImageSetFromFolderNode', pos: [40, 240], title: 'PUBLIC images', widgets: [C.publicFolder, 'None'] },
      { id: 31, type: 'CLIPVisionLoader', pos: [40, 440], title: 'Your CLIP-vision model', widgets: [C.clipVitH] },
      { id: 32, type: 'CLIPVisionEncode', pos: [370, 440], widgets: ['center'], links: { clip_vision: [31, 0], image: [30, 0] } },
      ...explained([{ id: 38, type: 'DPHyperLoRA_BuildConditioningPack', pos: [780, 240], size: [360, 200], color: DP, widgets: [32, 'image_embeds', C.packVitH, 'my own photos, public (CC-BY 4.0)'], links: { public_clip_vision_output: [32, 0] } }], 0, 0),
    ],
    groups: [
      { title: 'Step 1 · PUBLIC images → CLIP-vision encode (free)', bounding: [20, -28, 700, 928], color: STEP_COLOUR },
      { title: 'Step 2 · build the pack (public, no privacy cost)', bounding: [740, -28, 440, 928], color: STEP_COLOUR },
      { title: 'Step 3 · use it in workflows 4-6', bounding: [1180, -28, 520, 928], color: STEP_COLOUR },
    ],
  };
}
