/**
 * How a prompt ended, from its /ws terminal message or from its /history entry (the two must agree; the
 * history entry is what we use after a dropped connection). Failures become DpHyperLoraErrors whose
 * `details.transient` says whether running the job again could help.
 */
import { DpHyperLoraError } from '../errors.js';
import { ExecutionErrorData, ExecutionInterruptedData } from './ws-messages.js';
import type { HistoryEntry } from './rest-schemas.js';
import type { z } from 'zod';

/** A node's ui outputs (images, text, ...), keyed by node id. */
export type PromptOutputs = Record<string, Record<string, unknown>>;

/** A prompt that ran to the end. */
export interface PromptSuccess {
  promptId: string;
  outputs: PromptOutputs;
}

/** Execution errors worth retrying: out-of-memory may pass once other work has left the GPU. */
const TRANSIENT_EXCEPTION = /OutOfMemory|CUDA out of memory/i;

/** The COMFY_EXECUTION error for an `execution_error` payload. Traceback and inputs are kept out of the message. */
export function executionError(d: z.infer<typeof ExecutionErrorData>, serverLabel: string): DpHyperLoraError {
  const firstLine = (d.exception_message.split('\n').map((s) => s.trim()).find((s) => s !== '') ?? '').replace(/\.+$/, '');
  return new DpHyperLoraError('COMFY_EXECUTION',
    `node ${d.node_id} (${d.node_type}) failed on ${serverLabel}: ${d.exception_type}: ${firstLine}. See the ComfyUI log for the traceback.`,
    { details: { transient: TRANSIENT_EXCEPTION.test(`${d.exception_type} ${d.exception_message}`), prompt_id: d.prompt_id, node_id: d.node_id, node_type: d.node_type, exception_type: d.exception_type } });
}

/** The CANCELLED error for an `execution_interrupted` payload; transient unless we asked for it. */
export function interruptedError(d: z.infer<typeof ExecutionInterruptedData>, serverLabel: string, byUs: boolean): DpHyperLoraError {
  return new DpHyperLoraError('CANCELLED',
    `the prompt was interrupted on ${serverLabel} at node ${d.node_id} (${d.node_type})${byUs ? '' : ' by someone else'}.`,
    { details: { transient: !byUs, prompt_id: d.prompt_id, node_id: d.node_id } });
}

/** Reads how a prompt ended from its history entry: its outputs, or the error to reject with. */
export function outcomeFromHistory(promptId: string, entry: HistoryEntry, serverLabel: string, interruptedByUs: boolean): PromptSuccess | DpHyperLoraError {
  if (entry.status.status_str === 'success') return { promptId, outputs: entry.outputs };
  for (const [event, data] of entry.status.messages) {
    if (event === 'execution_error') {
      const d = ExecutionErrorData.safeParse(data);
      if (d.success) return executionError(d.data, serverLabel);
    }
    if (event === 'execution_interrupted') {
      const d = ExecutionInterruptedData.safeParse(data);
      if (d.success) return interruptedError(d.data, serverLabel, interruptedByUs);
    }
  }
  return new DpHyperLoraError('COMFY_EXECUTION', `the prompt failed on ${serverLabel} without an error message in its history. See the ComfyUI log.`,
    { details: { transient: false, prompt_id: promptId } });
}
