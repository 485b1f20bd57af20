/**
 * Reads a workflow file in either format and tells them apart: a UI workflow has `nodes` and `links`
 * arrays; an API workflow maps node ids to `{class_type, inputs}`.
 */
import { readFile } from 'node:fs/promises';
import { DpHyperLoraError } from '../errors.js';
import { issuesLine } from './zod-issues.js';
import type { ObjectInfo } from './object-info.js';
import { uiToApi } from './ui-to-api.js';
import { ApiPrompt } from './workflow-api.js';
import { UiWorkflow } from './workflow-ui.js';

/** A workflow as loaded: API-format prompts are ready; UI-format ones need `/object_info` to convert. */
export type LoadedWorkflow = { format: 'api'; prompt: ApiPrompt } | { format: 'ui'; workflow: UiWorkflow };

function invalid(label: string, why: string): DpHyperLoraError {
  return new DpHyperLoraError('WORKFLOW_INVALID',
    `${label} is not a ComfyUI workflow: ${why}. Pass a file saved from ComfyUI ("Save" for UI format, or "Export (API)").`);
}

/** Classifies and validates parsed workflow JSON. `label` names the source in messages (never a private path). */
export function parseWorkflow(json: unknown, label: string): LoadedWorkflow {
  if (json !== null && typeof json === 'object' && !Array.isArray(json) && 'nodes' in json && 'links' in json) {
    const ui = UiWorkflow.safeParse(json);
    if (!ui.success) throw invalid(label, `UI format with problems: ${issuesLine(ui.error)}`);
    return { format: 'ui', workflow: ui.data };
  }
  const api = ApiPrompt.safeParse(json);
  if (!api.success) throw invalid(label, `neither UI format (no nodes/links) nor API format: ${issuesLine(api.error)}`);
  if (Object.keys(api.data).length === 0) throw invalid(label, 'it has no nodes');
  return { format: 'api', prompt: api.data };
}

/** Reads and classifies a workflow file. */
export async function loadWorkflowFile(path: string, label = 'the workflow file'): Promise<LoadedWorkflow> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `cannot read ${label}: ${(e as NodeJS.ErrnoException).code ?? String(e)}. Check the --workflow path.`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalid(label, `not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseWorkflow(json, label);
}

/** The API prompt of a loaded workflow, converting UI format with the server's node definitions. */
export function toApiPrompt(wf: LoadedWorkflow, info: ObjectInfo): ApiPrompt {
  return wf.format === 'api' ? wf.prompt : uiToApi(wf.workflow, info);
}
