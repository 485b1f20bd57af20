/**
 * API-format workflows (reference/comfyui.md §5): `{"<node id>": {class_type, inputs, _meta?}}`, where an
 * input that is a 2-list `["<src node id>", <output index>]` is a link and anything else is a literal.
 * This is what "Export (API)" writes and what `POST /prompt` takes.
 */
import { z } from 'zod';
import { DpHyperLoraError } from '../errors.js';

/** One node of an API-format prompt. */
export const ApiNode = z.looseObject({
  class_type: z.string().min(1),
  inputs: z.record(z.string(), z.unknown()),
  _meta: z.looseObject({ title: z.string().optional() }).optional(),
});
/** An API-format prompt: node id → node. */
export const ApiPrompt = z.record(z.string(), ApiNode);
/** A validated API-format prompt. */
export type ApiPrompt = z.infer<typeof ApiPrompt>;

/** A link `[source node id, output index]`. */
export type ApiLink = [string, number];

/** True when an input value is a link (a 2-list of a string id and a non-negative integer). */
export function isLink(value: unknown): value is ApiLink {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' &&
    Number.isInteger(value[1]) && (value[1] as number) >= 0;
}

/** A parsed `NODE.inputs.FIELD` address. */
export interface InputPath {
  nodeId: string;
  field: string;
}

/** Parses `NODE.inputs.FIELD` (the form `--set` and `--vary` use). Throws INVALID_ARGUMENT. */
export function parseInputPath(path: string): InputPath {
  const m = /^([^.\s]+)\.inputs\.([^\s]+)$/.exec(path);
  if (!m || m[1] === undefined || m[2] === undefined) {
    throw new DpHyperLoraError('INVALID_ARGUMENT',
      `"${path}" is not an input address; write NODE.inputs.FIELD, for example 3.inputs.seed (NODE is the node id in the API-format workflow).`);
  }
  return { nodeId: m[1], field: m[2] };
}

/** Parses a `--set`/`--vary` value: JSON when it parses (numbers, booleans, quoted strings), else the raw string. */
export function parseLiteral(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: an unquoted string such as a file name or prompt text; that is the common case.
    return text;
  }
}

/**
 * Returns a copy of `prompt` with each `NODE.inputs.FIELD` set to its value. Every unknown node id is
 * reported at once (WORKFLOW_INVALID); setting a field that is currently a link replaces the link.
 */
export function applyInputs(prompt: ApiPrompt, inputs: Readonly<Record<string, unknown>>): ApiPrompt {
  const out: ApiPrompt = structuredClone(prompt);
  const problems: string[] = [];
  for (const [path, value] of Object.entries(inputs)) {
    const { nodeId, field } = parseInputPath(path);
    const node = out[nodeId];
    if (node === undefined) {
      problems.push(`${path}: the workflow has no node "${nodeId}" (its ids are ${Object.keys(out).join(', ')})`);
      continue;
    }
    node.inputs[field] = value;
  }
  if (problems.length > 0) {
    throw new DpHyperLoraError('WORKFLOW_INVALID', `cannot set inputs: ${problems.join('; ')}. Use node ids from the API-format workflow.`);
  }
  return out;
}
