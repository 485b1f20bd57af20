/**
 * zod schemas of ComfyUI's REST replies (reference/comfyui.md §4.4, checked against ComfyUI 0.3.64).
 * Payloads are loose objects: a newer server may add keys, but documented keys must keep their types.
 */
import { z } from 'zod';

/** One validation problem, at prompt level or per node input. */
export const PromptErrorDetail = z.looseObject({
  type: z.string(),
  message: z.string(),
  details: z.string(),
  extra_info: z.record(z.string(), z.unknown()).optional(),
});
/** The problems of one node, keyed by node id in `node_errors`. */
export const NodeErrorEntry = z.looseObject({
  errors: z.array(PromptErrorDetail),
  dependent_outputs: z.array(z.string()),
  class_type: z.string(),
});
/** `node_errors`: node id → problems. */
export const NodeErrors = z.record(z.string(), NodeErrorEntry);

/** `POST /prompt` 200 reply. */
export const PromptAccepted = z.looseObject({ prompt_id: z.string().min(1), number: z.number(), node_errors: NodeErrors });
/** `POST /prompt` 400 reply. */
export const PromptRejected = z.looseObject({ error: PromptErrorDetail, node_errors: NodeErrors });
/** The type of a 400 reply from `POST /prompt`. */
export type PromptRejected = z.infer<typeof PromptRejected>;

/** A file a node wrote, as listed in ui outputs (`images`, `gifs`, `audio`, ...). */
export const FileRef = z.looseObject({
  filename: z.string().min(1),
  subfolder: z.string(),
  type: z.enum(['output', 'input', 'temp']),
});
/** A file reference from a node's ui dict. */
export type FileRef = z.infer<typeof FileRef>;

/** `[event, data]` pairs kept in history (execution_start, execution_cached, execution_success/error/interrupted). */
const StatusMessage = z.tuple([z.string(), z.record(z.string(), z.unknown())]);

/** One `/history` entry. `prompt` is the queue 5-tuple [number, prompt_id, prompt, extra_data, outputs]. */
export const HistoryEntry = z.looseObject({
  prompt: z.tuple([z.number(), z.string(), z.record(z.string(), z.unknown()), z.record(z.string(), z.unknown()), z.array(z.string())]),
  outputs: z.record(z.string(), z.record(z.string(), z.unknown())),
  status: z.looseObject({
    status_str: z.enum(['success', 'error']),
    completed: z.boolean(),
    messages: z.array(StatusMessage),
  }),
  meta: z.record(z.string(), z.unknown()).optional(),
});
/** A validated history entry. */
export type HistoryEntry = z.infer<typeof HistoryEntry>;
/** `GET /history/{id}`: `{}` while the prompt is queued or running, `{id: entry}` once it ended. */
export const HistoryReply = z.record(z.string(), HistoryEntry);

/** One queue item: [number, prompt_id, prompt, extra_data, outputs_to_execute]. */
const QueueItem = z.tuple([z.number(), z.string(), z.unknown(), z.unknown(), z.unknown()]).rest(z.unknown());
/** `GET /queue`. */
export const QueueReply = z.looseObject({ queue_running: z.array(QueueItem), queue_pending: z.array(QueueItem) });
/** The validated `/queue` reply. */
export type QueueReply = z.infer<typeof QueueReply>;

/** `POST /upload/image` reply. */
export const UploadReply = z.looseObject({ name: z.string().min(1), subfolder: z.string(), type: z.string() });
/** The validated upload reply. */
export type UploadReply = z.infer<typeof UploadReply>;
