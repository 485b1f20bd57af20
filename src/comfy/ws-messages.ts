/**
 * ComfyUI `/ws` JSON messages (text frames), as sent by ComfyUI 0.3.64 (`server.py`, `execution.py`,
 * `main.py`, `comfy_execution/progress.py`; see reference/comfyui.md §4.3). Each message type has one zod
 * schema; the TypeScript types are inferred from them. Payload objects are "loose": extra keys that a
 * newer ComfyUI adds are kept, but every documented field must be present with the documented type.
 *
 * Message types that are not documented here (custom nodes may send their own events, §4.2) are passed
 * through as `{ type: 'other' }`; a frame that is not JSON, has no string `type`, or carries a documented
 * type with the wrong shape is rejected with COMFY_PROTOCOL.
 */
import { z } from 'zod';
import { DpHyperLoraError } from '../errors.js';
import { issuesLine } from './zod-issues.js';

const promptId = z.string().min(1);
const nodeId = z.string();
/** Milliseconds since the epoch, as ComfyUI's `add_message` stamps it. */
const timestampMs = z.number();

/** `status`: the queue length, sent on connect (with `sid`) and whenever the queue changes. */
export const StatusData = z.looseObject({
  status: z.looseObject({ exec_info: z.looseObject({ queue_remaining: z.number().int().nonnegative() }) }),
  sid: z.string().optional(),
});
/** `feature_flags`: the server's reply to the client's first `feature_flags` frame. */
export const FeatureFlagsData = z.record(z.string(), z.unknown());
/** `execution_start`: a prompt started running. */
export const ExecutionStartData = z.looseObject({ prompt_id: promptId, timestamp: timestampMs });
/** `execution_cached`: ids of the nodes whose cached outputs are reused. */
export const ExecutionCachedData = z.looseObject({ nodes: z.array(nodeId), prompt_id: promptId, timestamp: timestampMs });
/**
 * `executing`: the node now running. `node: null` means the prompt finished. On reconnect ComfyUI sends
 * `{node}` alone (no prompt_id, no display_node), so both are optional here.
 */
export const ExecutingData = z.looseObject({
  node: nodeId.nullable(),
  display_node: nodeId.optional(),
  prompt_id: promptId.optional(),
});
/** `progress`: one ProgressBar step of one node. */
export const ProgressData = z.looseObject({
  value: z.number(),
  max: z.number(),
  prompt_id: promptId.nullable(),
  node: nodeId.nullable(),
});
/** One node's entry in `progress_state` (pending nodes are left out by the server). */
export const NodeProgressState = z.looseObject({
  value: z.number(),
  max: z.number(),
  state: z.enum(['pending', 'running', 'finished', 'error']),
  node_id: nodeId,
  prompt_id: promptId,
  display_node_id: nodeId.nullable(),
  parent_node_id: nodeId.nullable(),
  real_node_id: nodeId.nullable(),
});
/** `progress_state`: the state of every started node of a prompt. */
export const ProgressStateData = z.looseObject({ prompt_id: promptId, nodes: z.record(z.string(), NodeProgressState) });
/** A node's ui dict: every value is a list (ComfyUI concatenates them across list-mapped calls). */
export const NodeUiOutput = z.record(z.string(), z.array(z.unknown()));
/** `executed`: a node returned a ui dict (also re-sent for cached output nodes; `output` may be null then). */
export const ExecutedData = z.looseObject({
  node: nodeId,
  display_node: nodeId.optional(),
  output: NodeUiOutput.nullable(),
  prompt_id: promptId,
});
/** `execution_success`: the prompt finished without error. */
export const ExecutionSuccessData = z.looseObject({ prompt_id: promptId, timestamp: timestampMs });
/** `execution_error`: a node raised. */
export const ExecutionErrorData = z.looseObject({
  prompt_id: promptId,
  node_id: nodeId,
  node_type: z.string(),
  executed: z.array(nodeId),
  exception_message: z.string(),
  exception_type: z.string(),
  traceback: z.array(z.string()),
  current_inputs: z.unknown(),
  current_outputs: z.unknown(),
  timestamp: timestampMs,
});
/** `execution_interrupted`: the prompt was stopped by `/interrupt`. */
export const ExecutionInterruptedData = z.looseObject({
  prompt_id: promptId,
  node_id: nodeId,
  node_type: z.string(),
  executed: z.array(nodeId),
  timestamp: timestampMs,
});

/** The schema of each documented message type's `data`. */
export const WS_DATA_SCHEMAS = {
  status: StatusData,
  feature_flags: FeatureFlagsData,
  execution_start: ExecutionStartData,
  execution_cached: ExecutionCachedData,
  executing: ExecutingData,
  progress: ProgressData,
  progress_state: ProgressStateData,
  executed: ExecutedData,
  execution_success: ExecutionSuccessData,
  execution_error: ExecutionErrorData,
  execution_interrupted: ExecutionInterruptedData,
} as const;

/** A documented message type name. */
export type WsMessageType = keyof typeof WS_DATA_SCHEMAS;

/** A validated, documented message. */
export type WsKnownMessage = { [K in WsMessageType]: { type: K; data: z.infer<(typeof WS_DATA_SCHEMAS)[K]> } }[WsMessageType];
/** Any text-frame message: a documented one, or an undocumented (custom) event passed through unchecked. */
export type WsMessage = WsKnownMessage | { type: 'other'; name: string; data: unknown };

const Envelope = z.looseObject({ type: z.string().min(1), data: z.unknown() });

function isKnownType(t: string): t is WsMessageType {
  return Object.prototype.hasOwnProperty.call(WS_DATA_SCHEMAS, t);
}

function protocolError(what: string, problem: string, promptId?: string): DpHyperLoraError {
  return new DpHyperLoraError('COMFY_PROTOCOL',
    `ComfyUI sent a malformed ${what} on /ws: ${problem}. This client speaks the ComfyUI 0.3.x /ws protocol; ` +
    'check that the --server URL points at ComfyUI and that its version is supported.',
  promptId === undefined ? undefined : { details: { prompt_id: promptId } });
}

/** The prompt id of a raw payload, when it has a string one (so a malformed message can be pinned on its job). */
function rawPromptId(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const id = (data as Record<string, unknown>).prompt_id;
  return typeof id === 'string' ? id : undefined;
}

/** Parses and validates one /ws text frame. Throws COMFY_PROTOCOL naming every problem at once. */
export function parseWsText(text: string): WsMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw protocolError('text frame', `not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const env = Envelope.safeParse(raw);
  if (!env.success) throw protocolError('text frame', `expected {type: string, data}: ${issuesLine(env.error)}`);
  const { type, data } = env.data;
  if (!isKnownType(type)) return { type: 'other', name: type, data };
  const parsed = WS_DATA_SCHEMAS[type].safeParse(data);
  if (!parsed.success) throw protocolError(`"${type}" message`, issuesLine(parsed.error), rawPromptId(data));
  return { type, data: parsed.data } as WsKnownMessage;
}

/** The prompt id a message is about, when it names one. */
export function promptIdOf(msg: WsMessage): string | undefined {
  if (msg.type === 'other' || msg.type === 'status' || msg.type === 'feature_flags') return undefined;
  return msg.data.prompt_id ?? undefined;
}
