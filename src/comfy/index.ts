/**
 * The public surface of src/comfy: a ComfyUI queue-API client (REST + /ws with zod-checked messages,
 * reconnect and /history recovery), workflow formats (UI ↔ API through /object_info), and the `batch` runner.
 */
export { ComfyClient, type ClientOptions, type RunOptions } from './client.js';
export { ComfyRest, isTransient, type PromptRequest, type RestOptions } from './rest.js';
export { parseWsText, WS_DATA_SCHEMAS, type WsMessage, type WsKnownMessage, type WsMessageType } from './ws-messages.js';
export { parseWsBinary, BINARY_EVENT, type WsBinaryFrame } from './ws-binary.js';
export { nodeErrorLines, validationError } from './node-errors.js';
export type { PromptProgress } from './prompt-tracker.js';
export type { PromptOutputs, PromptSuccess } from './outcome.js';
export { ObjectInfo, NodeDef, declaredInputs } from './object-info.js';
export { ApiPrompt, applyInputs, isLink, parseInputPath } from './workflow-api.js';
export { UiWorkflow } from './workflow-ui.js';
export { uiToApi } from './ui-to-api.js';
export { loadWorkflowFile, parseWorkflow, toApiPrompt, type LoadedWorkflow } from './workflow-load.js';
export { assertPromptValid, findPromptProblems } from './prompt-check.js';
export { parsePromptsFile, parseSet, parseVary, planJobs, jobKey, type BatchJob, type VarySpec } from './batch-plan.js';
export { runBatch, type BatchEvent, type BatchOptions, type BatchSummary } from './batch-run.js';
export { ManifestLine, MANIFEST_NAME, readManifest } from './manifest.js';
