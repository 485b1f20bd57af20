/**
 * Turns ComfyUI's HTTP 400 reply to `POST /prompt` (`{error, node_errors}`, reference/comfyui.md §4.4) into
 * one readable line per node, for people, and keeps the structure for --json.
 */
import { DpHyperLoraError } from '../errors.js';
import type { PromptRejected } from './rest-schemas.js';

type Detail = PromptRejected['error'];

function describe(e: Detail): string {
  const input = typeof e.extra_info?.input_name === 'string' ? e.extra_info.input_name : undefined;
  const head = input === undefined ? e.message : `input "${input}": ${e.message}`;
  // `details` repeats the input name for min/max/missing errors; only add it when it says more.
  const details = e.details.trim();
  return details === '' || details === input ? head : `${head} (${details})`;
}

/** One readable line per node with errors, e.g. `node 2 (ImageScale): input "width": Value -5 smaller than min of 0`. */
export function nodeErrorLines(reply: PromptRejected): string[] {
  return Object.entries(reply.node_errors).map(([id, entry]) =>
    `node ${id} (${entry.class_type}): ${entry.errors.map(describe).join('; ')}`);
}

/** The COMFY_VALIDATION error for a 400 reply. `serverLabel` names the server (its URL). */
export function validationError(reply: PromptRejected, serverLabel: string): DpHyperLoraError {
  const lines = nodeErrorLines(reply);
  const top = describe(reply.error);
  const body = lines.length > 0 ? `${top}: ${lines.join(' | ')}` : top;
  return new DpHyperLoraError('COMFY_VALIDATION',
    `${serverLabel} rejected the prompt: ${body}. Fix these inputs in the workflow (or your --set/--vary values) and rerun.`,
    { details: { error_type: reply.error.type, node_errors: lines } });
}
