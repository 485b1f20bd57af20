/**
 * Our vocabulary for comfyui-node-ts-sdk's node definitions: the contract between a graph node (one file in
 * nodes/) and the worker's node host. A node is data first (its schema: id, category, inputs with tooltips,
 * outputs) and behaviour second (`execute`). The schema is written once, here in TypeScript;
 * scripts/export-node-manifest.ts turns it into nodes/manifest.json, from which the SDK's Python bridge generates
 * ComfyUI's classic (V1) node classes.
 *
 * The Python side is generic: it moves a few kinds of values (JSON, uint8 image tensors, tensor dicts, opaque
 * handles, model descriptions); the few host operations that are ours (apply a LoRA to MODEL/CLIP, write a file
 * into a models folder, hash a folder or a pack manifest for caching) are declared here, in `host`, and
 * implemented in bridge/, so that no DP logic and no node table lives in Python.
 */
import type {
  InputSpec as SdkInputSpec,
  NodeContext as SdkNodeContext,
  NodeDefinition as SdkNodeDefinition,
  OutputSpec as SdkOutputSpec,
  PackTypes,
} from 'comfyui-node-ts-sdk';

export type { ClipVisionField, HandleStoreLike } from 'comfyui-node-ts-sdk';

/** The node menu category of every dp-hyperlora node. */
export const NODE_CATEGORY = 'DP HyperLoRA';

/** Prefix of every node id, so that ids never collide with core or other packs. */
export const NODE_ID_PREFIX = 'DPHyperLoRA_';

/** Socket types that carry a value between nodes (core types plus ours). */
export type SocketType =
  | 'IMAGE' | 'MODEL' | 'CLIP' | 'LORA_MODEL' | 'CLIP_VISION_OUTPUT' | 'EMBEDS'
  | 'DP_PACK' | 'DP_EMBEDDINGS' | 'DP_DATASET_EMBEDDING';

/**
 * Dynamic choice lists the bridge fills in at ComfyUI start (and on refresh):
 * - `packs`: folders under every `models/dp_hyperlora` path (folder_paths, extra_model_paths respected) plus
 *   the bundled reference pack;
 * - `input_folders`: the private-set folders (bridge/private_sets.py) plus the bundled sample private set.
 * The chosen name is resolved to an absolute path by the bridge, refusing path traversal.
 */
export type ChoiceSource = 'packs' | 'input_folders';

/**
 * Host operations our bridge performs around the worker call (bridge/host_ops.py):
 * - `applyLora`: after the call, the bridge passes the LORA_MODEL output to ComfyUI's
 *   `comfy.sd.load_lora_for_models(model, clip, lora, strength_model, strength_clip)` and fills the MODEL and
 *   CLIP outputs with the patched objects (or the inputs unchanged when absent);
 * - `checkBase`: after the call, the bridge compares the identity of the base UNet the DP_PACK input was trained
 *   for (its `base`, SD packs only) with the connected MODEL input's, and on a mismatch adds a warning to the
 *   node's text and ComfyUI's log (it never refuses; bridge/base_check.py);
 * - `describeModels` (the SDK's): MODEL/CLIP inputs are sent as the weights' names and shapes, never as weights;
 * - `cacheKey`: what IS_CHANGED returns: `inputs` (ComfyUI's default), `folder_content` (a content hash of the
 *   chosen folder, so changed images re-embed) or `pack_manifest` (a hash of the pack's manifest.json, which
 *   lists every file's SHA-256).
 */
export interface HostSpec {
  readonly applyLora?: {
    readonly modelInput: string;
    readonly clipInput: string;
    readonly strengthModelInput: string;
    readonly strengthClipInput: string;
    readonly loraOutput: string;
    readonly modelOutput: string;
    readonly clipOutput: string;
  };
  readonly checkBase?: { readonly packInput: string; readonly modelInput: string };
  readonly describeModels?: boolean;
  readonly cacheKey?: { readonly kind: 'inputs' } | { readonly kind: 'folder_content' | 'pack_manifest'; readonly input: string };
}

/** Settings of a running worker, from its command line and environment. */
export interface WorkerSettings {
  /** Ledger database path, or undefined for the ledger's own default. */
  readonly ledgerPath: string | undefined;
  /** Extra folders where the worker looks for packs by name (remote workers). */
  readonly packDirs: readonly string[];
}

/** Our vocabulary, as the SDK's type parameter. */
export interface DpPackTypes extends PackTypes {
  readonly socket: SocketType;
  readonly choice: ChoiceSource;
  readonly settings: WorkerSettings;
  readonly host: HostSpec;
}

/** One input of a node. */
export type InputSpec = SdkInputSpec<DpPackTypes>;
/** One output of a node. */
export type OutputSpec = SdkOutputSpec<DpPackTypes>;

/**
 * Progress and cancellation for one execution. `progress` is PUBLIC (ComfyUI broadcasts it on /ws), so a node that
 * reads private data passes only set-independent steps (src/worker/public-progress.ts).
 */
export type NodeContext = SdkNodeContext<DpPackTypes>;

/** A graph node: schema first, execute second. */
export interface NodeDefinition extends SdkNodeDefinition<DpPackTypes> {
  readonly id: `${typeof NODE_ID_PREFIX}${string}`;
  readonly category: typeof NODE_CATEGORY;
  /**
   * True for nodes that read the private set (its size, its pixels): the host then withholds everything about
   * the call that could be a function of the set, such as its compute time, from the bridge and the logs, and
   * the node must report progress only through src/worker/public-progress.ts. Worker-only: not in the manifest.
   */
  readonly readsPrivateData?: boolean;
}
