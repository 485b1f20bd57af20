/**
 * The contract between a graph node and the worker's node host. A node is data first (its schema: id,
 * category, inputs with tooltips, outputs) and behaviour second (`execute`). The schema is written once, in
 * TypeScript; ./node-manifest.ts turns it into a JSON manifest from which the generic Python bridge
 * (python/comfy_ts_bridge) builds ComfyUI's classic (V1) node classes.
 *
 * A node pack fixes its own vocabulary through {@link PackTypes}: its socket type names, the sources of its
 * dynamic dropdowns, its worker settings and any extra host operations its Python side implements.
 */
import type { HandleStoreLike } from './handles.js';
import type { DecodedValue, NodeResult } from './values.js';

/** A node pack's vocabulary (see the module comment). */
export interface PackTypes {
  /** Socket type names (ComfyUI core types such as IMAGE, plus the pack's own). */
  readonly socket: string;
  /** Names of dynamic dropdown lists the Python side fills (its config's `choices`). */
  readonly choice: string;
  /** Settings every node of one worker process sees (from its command line). */
  readonly settings: unknown;
  /** Extra keys of `host` that the pack's Python side gives meaning to (its config's `host_ops`). */
  readonly host: object;
}

/** The vocabulary of a pack that declares nothing of its own. */
export interface BasicPackTypes extends PackTypes {
  readonly socket: string;
  readonly choice: string;
  readonly settings: undefined;
  readonly host: object;
}

/**
 * The tensor fields of ComfyUI 0.3.64's `comfy.clip_vision.Output` (CLIPVisionEncode's CLIP_VISION_OUTPUT):
 * image_embeds [B, d], last_hidden_state and penultimate_hidden_states [B, tokens, width], mm_projected (may be None).
 */
export type ClipVisionField = 'image_embeds' | 'last_hidden_state' | 'penultimate_hidden_states' | 'mm_projected';

interface InputBase {
  /** Input name (a lower-case Python identifier: it becomes a keyword argument). */
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
  /** Adds ComfyUI's fixed/increment/randomize control (for seeds). */
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

/** A dropdown whose options the Python side lists (its config's `choices[source]`), resolved on execution. */
export interface ChoiceInput<C extends string = string> extends InputBase {
  readonly kind: 'CHOICE';
  readonly source: C;
  /** Preferred default when present in the list. */
  readonly default?: string;
}

/** A socket (no widget): a value from another node. */
export interface SocketInput<S extends string = string> extends InputBase {
  readonly kind: 'SOCKET';
  readonly type: S;
  /**
   * CLIP_VISION_OUTPUT only: the fields whose values the bridge sends (float32, as a tensor dict); every other
   * tensor field arrives as its shape only, in the dict's metadata (`shape:<field>` = "B,T,W"). Sending only what
   * a node reads keeps a 1,024-image batch's transfer at 4 MiB instead of 2.6 GiB of hidden states.
   */
  readonly fields?: readonly ClipVisionField[];
}

/** One input of a node. */
export type InputSpec<T extends PackTypes = BasicPackTypes> =
  IntInput | FloatInput | StringInput | ComboInput | ChoiceInput<T['choice']> | SocketInput<T['socket']>;

/** One output of a node. */
export interface OutputSpec<T extends PackTypes = BasicPackTypes> {
  readonly name: string;
  readonly type: T['socket'];
  readonly tooltip: string;
}

/**
 * Host behaviour the generic bridge knows:
 * - `describeModels`: MODEL/CLIP inputs are sent as their weights' names and shapes (never the weights); without
 *   it they arrive as `none`;
 * - `cacheKey`: what IS_CHANGED returns: `inputs` (ComfyUI's default) or a kind the pack's Python config names
 *   in `cache_keys`, computed from the value of input `input`.
 */
export interface BaseHostSpec {
  readonly describeModels?: boolean;
  readonly cacheKey?: { readonly kind: 'inputs' } | { readonly kind: string; readonly input: string };
}

/** Progress and cancellation for one execution. */
export interface NodeContext<T extends PackTypes = BasicPackTypes> {
  /** Aborted when ComfyUI interrupts the prompt or the bridge goes away. */
  readonly signal: AbortSignal;
  /** Reports progress: drives ComfyUI's progress bar on the node (broadcast on /ws as {value, max}). */
  progress(value: number, max: number): void;
  /** Where this worker keeps opaque handles. */
  readonly handles: HandleStoreLike;
  /** Worker-level settings. */
  readonly settings: T['settings'];
}

/** A graph node: schema first, execute second. */
export interface NodeDefinition<T extends PackTypes = BasicPackTypes> {
  /** Unique across ComfyUI: start it with the pack's prefix (checked by ./node-manifest.ts). */
  readonly id: string;
  readonly displayName: string;
  readonly category: string;
  /** What the node does, in a few sentences (ComfyUI shows it in the node's info panel). */
  readonly description: string;
  readonly inputs: readonly InputSpec<T>[];
  readonly outputs: readonly OutputSpec<T>[];
  /** True for sink nodes (ComfyUI only runs graphs that end in one). */
  readonly outputNode?: boolean;
  readonly host?: BaseHostSpec & T['host'];
  /** Runs the node in the worker. `inputs` are decoded values keyed by input name. */
  execute(inputs: Readonly<Record<string, DecodedValue>>, ctx: NodeContext<T>): Promise<NodeResult>;
}
