/**
 * Values that cross the bridge, in their decoded (in-memory) form. Their wire form (JSON plus tensor frames) is
 * in ./protocol.ts and ./tensor-frames.ts; the Python bridge's converters (python/comfy_ts_bridge/values.py) map
 * ComfyUI's core types onto them.
 *
 * Kinds:
 * - `none`: an optional input left unconnected (or an output the host fills);
 * - `json`: widget values and JSON-valued socket types;
 * - `tensor`: one tensor, e.g. an IMAGE batch as uint8 [B, H, W, 3] or a MASK as float32 [B, H, W];
 * - `tensors`: a named tensor dict with string metadata (LATENT, CONDITIONING, CLIP_VISION_OUTPUT, weight dicts);
 * - `handle`: an opaque reference to data that stays in the worker;
 * - `model`: a MODEL or CLIP described by its weights' names and shapes (never the weights).
 */
import type { Tensor } from './tensor.js';

/** A decoded bridge value (see the module comment). */
export type DecodedValue =
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'tensor'; readonly tensor: Tensor }
  | { readonly kind: 'tensors'; readonly tensors: Readonly<Record<string, Tensor>>; readonly metadata: Readonly<Record<string, string>> }
  | { readonly kind: 'handle'; readonly type: string; readonly handle: string }
  | { readonly kind: 'model'; readonly targets: Readonly<Record<string, readonly number[]>> };

/**
 * A file the bridge writes into a ComfyUI models folder (a folder_paths name). Which folders and names it
 * accepts is the node pack's rule, enforced on the Python side (it never overwrites, and refuses separators).
 */
export interface HostFile {
  /** A folder_paths name, e.g. `checkpoints`. */
  readonly folder: string;
  /** One plain folder name under it, when the pack's rule allows one. */
  readonly subfolder?: string;
  /** A plain file name (no separators). */
  readonly name: string;
  readonly data: Uint8Array;
}

/** What a node's execute returns. */
export interface NodeResult {
  /** One value per declared output, by output name. */
  readonly outputs: Readonly<Record<string, DecodedValue>>;
  /** The node's `ui` for ComfyUI (shown on the node, sent on /ws): `text` lines, plus any other lists. */
  readonly ui?: { readonly text: readonly string[] } & Readonly<Record<string, readonly unknown[]>>;
  readonly files?: readonly HostFile[];
}
