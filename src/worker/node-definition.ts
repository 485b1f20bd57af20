/**
 * The contract between a graph node (one file in nodes/) and the worker's node host. A node is data first
 * (its schema: id, category, inputs with tooltips, outputs) and behaviour second (`execute`). The schema is
 * written once, here in TypeScript; scripts/export-node-manifest.ts turns it into nodes/manifest.json, from
 * which the Python bridge generates ComfyUI's classic (V1) node classes.
 *
 * The Python side is generic: it knows how to move a few kinds of values (JSON, uint8 image tensors, tensor
 * dicts, opaque handles, model descriptions) and a few host operations (apply a LoRA to MODEL/CLIP, write a
 * file into a models folder, hash a folder for caching). Which operation applies to which node is declared
 * here, in `host`, so that no DP logic and no node table lives in Python.
 */
import type { DecodedValue, NodeResult } from './values.js';

/** The node menu category of every dp-hyperlora node. */
export const NODE_CATEGORY = 'DP HyperLoRA';

/** Prefix of every node id, so that ids never collide with core or other packs. */
export const NODE_ID_PREFIX = 'DPHyperLoRA_';

/** Socket types that carry a value between nodes (core types plus ours). */
export type SocketType =
  | 'IMAGE' | 'MODEL' | 'CLIP' | 'LORA_MODEL' | 'CLIP_VISION_OUTPUT' | 'EMBEDS'
  | 'DP_PACK' | 'DP_EMBEDDINGS' | 'DP_DATASET_EMBEDDING';

/**
 * The tensor fields of ComfyUI 0.3.64's `comfy.clip_vision.Output` (CLIPVisionEncode's CLIP_VISION_OUTPUT):
 * image_embeds [B, d], last_hidden_state and penultimate_hidden_states [B, tokens, width], mm_projected (may be None).
 */
export type ClipVisionField = 'image_embeds' | 'last_hidden_state' | 'penultimate_hidden_states' | 'mm_projected';

/**
 * Dynamic choice lists the bridge fills in at ComfyUI start (and on refresh):
 * - `packs`: folders under every `models/dp_hyperlora` path (folder_paths, extra_model_paths respected) plus
 *   the bundled reference pack;
 * - `input_folders`: sub-folders of ComfyUI's input directory plus the bundled sample private set.
 * The chosen name is resolved to an absolute path by the bridge, refusing path traversal.
 */
export type ChoiceSource = 'packs' | 'input_folders';

interface InputBase {
  /** Input name (a Python identifier: it becomes a keyword argument). */
  readonly name: string;
  /** One sentence shown on hover in ComfyUI. */
  readonly tooltip: string;
  /** Optional inputs may be left unconnected; they arrive as `{ kind: 'none' }`. */
  readonly optional?: boolean;
}

/** An integer widget. */
export interface IntInput extends InputBase {
  readonly kind: 'INT';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly step?: number;
  /** Adds ComfyUI's fixed/increment/randomize control (seeds only; never on privacy noise). */
  readonly controlAfterGenerate?: boolean;
}

/** A float widget. */
export interface FloatInput extends InputBase {
  readonly kind: 'FLOAT';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly round?: number;
}

/** A string widget. */
export interface StringInput extends InputBase {
  readonly kind: 'STRING';
  readonly default: string;
  readonly multiline?: boolean;
}

/** A dropdown with a fixed list of options. */
export interface ComboInput extends InputBase {
  readonly kind: 'COMBO';
  readonly options: readonly string[];
  readonly default: string;
}

/** A dropdown whose options the bridge lists from disk, resolved to a path on execution. */
export interface ChoiceInput extends InputBase {
  readonly kind: 'CHOICE';
  readonly source: ChoiceSource;
  /** Preferred default when present in the list (e.g. the bundled reference pack). */
  readonly default?: string;
}

/** A socket (no widget): a value from another node. */
export interface SocketInput extends InputBase {
  readonly kind: 'SOCKET';
  readonly type: SocketType;
  /**
   * CLIP_VISION_OUTPUT only: the fields whose values the bridge sends (float32, as a tensor dict); every other
   * tensor field arrives as its shape only, in the dict's metadata (`shape:<field>` = "B,T,W"). Sending only what
   * a node reads keeps a 1,024-image batch's transfer at 4 MiB instead of 2.6 GiB of hidden states.
   */
  readonly fields?: readonly ClipVisionField[];
}

/** One input of a node. */
export type InputSpec = IntInput | FloatInput | StringInput | ComboInput | ChoiceInput | SocketInput;

/** One output of a node. */
export interface OutputSpec {
  readonly name: string;
  readonly type: SocketType;
  readonly tooltip: string;
}

/**
 * Host operations the bridge performs around the worker call (all generic):
 * - `applyLora`: after the call, the bridge passes the LORA_MODEL output to ComfyUI's
 *   `comfy.sd.load_lora_for_models(model, clip, lora, strength_model, strength_clip)` and fills the MODEL and
 *   CLIP outputs with the patched objects (or the inputs unchanged when absent);
 * - `describeModels`: MODEL/CLIP inputs are sent as the LoRA key prefixes the model accepts and the shapes of
 *   their target weights (from `comfy.lora.model_lora_keys_unet/clip`), never as weights;
 * - `cacheKey`: what IS_CHANGED returns: `inputs` (ComfyUI's default: widget values and upstream),
 *   `folder_content` (a content hash of the chosen folder, so changed images re-embed) or `pack_manifest` (a
 *   hash of the pack's manifest.json, which lists every file's SHA-256).
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
  readonly describeModels?: boolean;
  readonly cacheKey?: { readonly kind: 'inputs' } | { readonly kind: 'folder_content' | 'pack_manifest'; readonly input: string };
}

/** Progress and cancellation for one execution. */
export interface NodeContext {
  /** Aborted when ComfyUI interrupts the prompt or the bridge goes away. */
  readonly signal: AbortSignal;
  /**
   * Reports progress (drives ComfyUI's progress bar on the node, broadcast on /ws as {value, max}): PUBLIC, so
   * a node that reads private data passes only set-independent steps (src/worker/public-progress.ts).
   */
  progress(value: number, max: number): void;
  /** Where this worker keeps opaque handles (embeddings never leave the worker). */
  readonly handles: HandleStoreLike;
  /** Worker-level settings (ledger path, extra pack folders). */
  readonly settings: WorkerSettings;
}

/** Minimal view of the handle store a node needs. */
export interface HandleStoreLike {
  put(type: string, value: unknown): string;
  get(type: string, handle: string): unknown;
}

/** Settings of a running worker, from its command line and environment. */
export interface WorkerSettings {
  /** Ledger database path, or undefined for the ledger's own default. */
  readonly ledgerPath: string | undefined;
  /** Extra folders where the worker looks for packs by name (remote workers). */
  readonly packDirs: readonly string[];
}

/** A graph node: schema first, execute second. */
export interface NodeDefinition {
  readonly id: `${typeof NODE_ID_PREFIX}${string}`;
  readonly displayName: string;
  readonly category: typeof NODE_CATEGORY;
  /** What the node does, in a few sentences (ComfyUI shows it in the node's info panel). */
  readonly description: string;
  readonly inputs: readonly InputSpec[];
  readonly outputs: readonly OutputSpec[];
  /** True for sink nodes (ComfyUI only runs graphs that end in one). */
  readonly outputNode?: boolean;
  readonly host?: HostSpec;
  /**
   * True for nodes that read the private set (its size, its pixels): the host then withholds everything about
   * the call that could be a function of the set, such as its compute time, from the bridge and the logs, and
   * the node must report progress only through src/worker/public-progress.ts.
   */
  readonly readsPrivateData?: boolean;
  /** Runs the node in the worker. `inputs` are decoded values keyed by input name. */
  execute(inputs: Readonly<Record<string, DecodedValue>>, ctx: NodeContext): Promise<NodeResult>;
}
