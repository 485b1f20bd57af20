/**
 * The bridge protocol (version 1) between the Python bridge (the WebSocket server, inside ComfyUI) and a worker
 * (the client). python/comfy_ts_bridge/hub.py is the Python side.
 *
 * Connection: the worker opens the pack's route on ComfyUI's server (e.g. `ws://HOST:PORT/my_pack/worker`) with
 * the header `Authorization: Bearer <token>`; the bridge compares the token in constant time and refuses (HTTP 401)
 * otherwise. The worker then sends `hello` and the bridge answers `welcome` (or closes on a version mismatch).
 *
 * Control messages are JSON text frames, validated here with zod. Tensors travel as binary frames
 * (./tensor-frames.ts) sent BEFORE the control message that refers to them; WebSocket keeps order, so when a
 * control message arrives every tensor it names is complete.
 *
 * Shared memory (./shared-memory.ts) is negotiated in `hello` (the worker's folder and probe nonce) and
 * `welcome` (`shm: true` when the bridge read the nonce there); tensor frames then may name files in it.
 *
 * Bridge → worker: `welcome`, `execute` (run one node), `cancel` (ComfyUI interrupt).
 * Worker → bridge: `hello`, `progress`, `alive` (a heartbeat while a job runs), `result`, `error`.
 */
import { z } from 'zod';

/** The protocol version; both sides refuse a peer with another one. */
export const PROTOCOL_VERSION = 1;

/** A reference to a tensor sent in binary frames just before the control message. */
export const tensorRefSchema = z.object({
  ref: z.string().min(1).max(256),
  dtype: z.enum(['uint8', 'float32', 'float16']),
  shape: z.array(z.number().int().nonnegative()).max(8),
});

/** One tensor inside a `tensors` blob. */
export const blobEntrySchema = z.object({
  dtype: z.enum(['uint8', 'float32', 'float16']),
  shape: z.array(z.number().int().nonnegative()).max(8),
  offset: z.number().int().nonnegative(),
});

/** A value on the wire (see ./values.ts for the decoded form). */
export const wireValueSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('json'), value: z.unknown() }),
  z.object({ kind: z.literal('tensor'), tensor: tensorRefSchema }),
  z.object({
    kind: z.literal('tensors'),
    /** All tensors of the dict in one uint8 blob (one frame set instead of one per tensor: weight dicts have hundreds). */
    blob: tensorRefSchema,
    /** Where each tensor lies in the blob (offsets are multiples of 8, so float views are aligned). */
    entries: z.record(z.string().min(1).max(512), blobEntrySchema),
    metadata: z.record(z.string(), z.string()),
  }),
  z.object({ kind: z.literal('handle'), type: z.string().min(1).max(64), handle: z.string().min(1).max(128) }),
  z.object({ kind: z.literal('model'), targets: z.record(z.string().max(512), z.array(z.number().int().nonnegative()).max(8)) }),
]);
/** A value on the wire. */
export type WireValue = z.infer<typeof wireValueSchema>;

const callId = z.string().min(1).max(64);

/** Messages the bridge sends. */
export const bridgeMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    protocol: z.literal(PROTOCOL_VERSION),
    /** True when the bridge read the worker's shared-memory probe: both sides then use ./shared-memory.ts. */
    shm: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('execute'),
    id: callId,
    node: z.string().min(1).max(128),
    inputs: z.record(z.string(), wireValueSchema),
  }),
  z.object({ type: z.literal('cancel'), id: callId }),
]);
/** A message from the bridge. */
export type BridgeMessage = z.infer<typeof bridgeMessageSchema>;

/** A file for the bridge to write (its bytes come as a uint8 tensor frame); the pack's Python side checks folder and name. */
export const wireFileSchema = z.object({
  /** A folder_paths name. */
  folder: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
  /** One plain folder name under it, where the pack allows one. */
  subfolder: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/).optional(),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/),
  data: tensorRefSchema,
});

/** Messages the worker sends. */
export const workerMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'), protocol: z.number().int(), version: z.string(), nodes: z.array(z.string()),
    /** The worker's shared-memory folder and the nonce in its `probe` file (absent: WebSocket frames only). */
    shm: z.object({ dir: z.string().min(1).max(4096), probe: z.string().regex(/^[0-9a-f]{32}$/) }).optional(),
  }),
  z.object({ type: z.literal('progress'), id: callId, value: z.number().nonnegative(), max: z.number().positive() }),
  z.object({ type: z.literal('alive'), id: callId }),
  z.object({
    type: z.literal('result'),
    id: callId,
    outputs: z.record(z.string(), wireValueSchema),
    /** The node's `ui` dict for ComfyUI: each value a list (ComfyUI concatenates them); `text` lines by convention. */
    ui: z.record(z.string().regex(/^[a-z_]{1,32}$/), z.array(z.unknown())).optional(),
    files: z.array(wireFileSchema).optional(),
    /** Milliseconds the node's execute took in the worker (absent where the pack's host withholds it). */
    computeMs: z.number().nonnegative().optional(),
  }),
  z.object({
    type: z.literal('error'),
    id: callId,
    code: z.string(),
    message: z.string(),
    /** Machine-readable reason the bridge acts on: `handle_expired` makes it replay the producing node once. */
    reason: z.enum(['handle_expired']).optional(),
  }),
]);
/** A message from the worker. */
export type WorkerMessage = z.infer<typeof workerMessageSchema>;

/** Lists every problem of a failed parse in one line (zod v4 issues), for PROTOCOL errors. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ');
}

/** A reference to a tensor sent in binary frames. */
export type TensorRef = z.infer<typeof tensorRefSchema>;
/** A file for the bridge to write. */
export type WireFile = z.infer<typeof wireFileSchema>;
/** One tensor's place in a `tensors` blob. */
export type BlobEntry = z.infer<typeof blobEntrySchema>;
