/**
 * Checks an API-format prompt against a server's `/object_info` before it is queued, so that a batch of
 * hundreds of jobs fails once, up front, with every problem listed, instead of once per job. The checks
 * mirror the ones ComfyUI's `execution.validate_prompt` makes (reference/comfyui.md §4.4); the server
 * still has the last word.
 */
import { DpHyperLoraError } from '../errors.js';
import { declaredInputs, specOptions, typesMatch, type ObjectInfo } from './object-info.js';
import { isLink, type ApiPrompt } from './workflow-api.js';

function checkLiteral(where: string, spec: readonly unknown[], value: unknown, problems: string[]): void {
  const type = spec[0];
  const opts = (spec[1] ?? {}) as Record<string, unknown>;
  if (Array.isArray(type)) {
    if (!type.includes(value as never)) problems.push(`${where}: ${JSON.stringify(value)} is not one of the server's choices (${type.slice(0, 8).map((v) => JSON.stringify(v)).join(', ')}${type.length > 8 ? ', …' : ''})`);
    return;
  }
  if (type === 'INT' || type === 'FLOAT') {
    if (typeof value !== 'number') {
      problems.push(`${where}: ${JSON.stringify(value)} is not a number`);
      return;
    }
    if (typeof opts.min === 'number' && value < opts.min) problems.push(`${where}: ${value} is smaller than the minimum ${opts.min}`);
    if (typeof opts.max === 'number' && value > opts.max) problems.push(`${where}: ${value} is bigger than the maximum ${opts.max}`);
  }
}

function checkLink(where: string, link: [string, number], inputType: unknown, prompt: ApiPrompt, info: ObjectInfo, problems: string[]): void {
  const [srcId, slot] = link;
  const src = prompt[srcId];
  if (src === undefined) {
    problems.push(`${where}: linked to node "${srcId}", which is not in the workflow`);
    return;
  }
  const srcDef = info[src.class_type];
  if (srcDef === undefined) return; // reported as an unknown class on the source node itself
  const outType = srcDef.output[slot];
  if (outType === undefined) {
    problems.push(`${where}: linked to output ${slot} of node "${srcId}" (${src.class_type}), which has ${srcDef.output.length} output(s)`);
    return;
  }
  if (typeof outType === 'string' && typeof inputType === 'string' && !typesMatch(outType, inputType)) {
    problems.push(`${where}: node "${srcId}" output ${slot} is ${outType}, but the input takes ${inputType}`);
  }
}

/** Returns every problem of `prompt` against `info` (empty when none). */
export function findPromptProblems(prompt: ApiPrompt, info: ObjectInfo): string[] {
  const problems: string[] = [];
  let outputs = 0;
  for (const [id, node] of Object.entries(prompt)) {
    const def = info[node.class_type];
    if (def === undefined) {
      problems.push(`node "${id}": class_type ${node.class_type} is not installed on the server`);
      continue;
    }
    if (def.output_node) outputs += 1;
    for (const input of declaredInputs(def)) {
      const where = `node "${id}" (${node.class_type}) input "${input.name}"`;
      const value = node.inputs[input.name];
      if (value === undefined) {
        if (input.required) problems.push(`${where}: required input is missing`);
        continue;
      }
      if (isLink(value)) checkLink(where, value, input.spec[0], prompt, info, problems);
      else if (specOptions(input.spec).forceInput !== true) checkLiteral(where, input.spec, value, problems);
    }
  }
  if (outputs === 0 && problems.length === 0) problems.push('the workflow has no output node (such as SaveImage), so ComfyUI would run nothing');
  return problems;
}

/** Throws WORKFLOW_INVALID listing every problem of `prompt` against `info`. */
export function assertPromptValid(prompt: ApiPrompt, info: ObjectInfo, serverLabel: string): void {
  const problems = findPromptProblems(prompt, info);
  if (problems.length > 0) {
    throw new DpHyperLoraError('WORKFLOW_INVALID',
      `the workflow does not fit the nodes installed on ${serverLabel}: ${problems.join('; ')}. ` +
      'Install the missing custom nodes or fix the listed inputs, then rerun.', { details: { problems } });
  }
}
