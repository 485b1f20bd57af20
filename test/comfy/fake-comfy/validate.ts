/**
 * The test server's copy of ComfyUI 0.3.64's `execution.validate_prompt` (reference/comfyui.md §4.4),
 * written from the documented and observed reply shapes (the captures in docs/batch.md): the same error
 * types, messages, details and extra_info keys, so that the client's formatting is tested on real shapes.
 */
import { declaredInputs, specOptions, type NodeDef, type ObjectInfo } from '../../../src/comfy/object-info.js';
import { isLink, type ApiPrompt } from '../../../src/comfy/workflow-api.js';

/** One error entry, as ComfyUI writes it. */
export interface ErrorDetail {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

/** What validation returns: the outputs to run, or the 400 body. */
export type Validation =
  | { ok: true; outputs: string[] }
  | { ok: false; body: { error: ErrorDetail; node_errors: Record<string, { errors: ErrorDetail[]; dependent_outputs: string[]; class_type: string }> } };

/** A hook for node-specific checks (ComfyUI's VALIDATE_INPUTS); returns an error string or true. */
export type CustomValidator = (classType: string, inputs: Record<string, unknown>) => string | true;

function pyRepr(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
}

function checkValue(name: string, spec: readonly unknown[], val: unknown, errors: ErrorDetail[]): void {
  const type = spec[0];
  const opts = (spec[1] ?? {}) as Record<string, unknown>;
  const inputConfig = [type, opts];
  if (Array.isArray(type)) {
    if (!type.includes(val as never)) {
      errors.push({ type: 'value_not_in_list', message: 'Value not in list', details: `${name}: ${pyRepr(val)} not in [${type.map(pyRepr).join(', ')}]`, extra_info: { input_name: name, input_config: inputConfig, received_value: val } });
    }
    return;
  }
  if (type !== 'INT' && type !== 'FLOAT') return;
  const num = typeof val === 'number' ? val : typeof val === 'string' && val.trim() !== '' ? Number(val) : NaN;
  if (!Number.isFinite(num)) {
    errors.push({ type: 'invalid_input_type', message: `Failed to convert an input value to a ${type} value`, details: `${name}, ${String(val)}, invalid literal`, extra_info: { input_name: name, input_config: inputConfig, received_value: val } });
    return;
  }
  if (typeof opts.min === 'number' && num < opts.min) {
    errors.push({ type: 'value_smaller_than_min', message: `Value ${num} smaller than min of ${opts.min}`, details: name, extra_info: { input_name: name, input_config: inputConfig, received_value: val } });
  }
  if (typeof opts.max === 'number' && num > opts.max) {
    errors.push({ type: 'value_bigger_than_max', message: `Value ${num} bigger than max of ${opts.max}`, details: name, extra_info: { input_name: name, input_config: inputConfig, received_value: val } });
  }
}

class Validator {
  readonly results = new Map<string, ErrorDetail[]>();
  constructor(private readonly prompt: ApiPrompt, private readonly info: ObjectInfo, private readonly custom: CustomValidator) {}

  /** Validates a node and its ancestors; returns true when the node and every ancestor are valid. */
  node(id: string): boolean {
    const done = this.results.get(id);
    if (done !== undefined) return done.length === 0 && this.ancestorsOk(id);
    const node = this.prompt[id];
    if (node === undefined) throw new KeyError(id);
    const def = this.info[node.class_type] as NodeDef;
    const errors: ErrorDetail[] = [];
    this.results.set(id, errors);
    let ok = true;
    for (const input of declaredInputs(def)) {
      const val = node.inputs[input.name];
      if (val === undefined) {
        if (input.required) errors.push({ type: 'required_input_missing', message: 'Required input is missing', details: input.name, extra_info: { input_name: input.name } });
        continue;
      }
      if (isLink(val)) {
        const src = this.prompt[val[0]];
        if (src === undefined) throw new KeyError(val[0]);
        const received = this.info[src.class_type]?.output[val[1]];
        const wanted = input.spec[0];
        if (typeof received === 'string' && typeof wanted === 'string' && received !== wanted && wanted !== '*' && received !== '*' &&
          !wanted.split(',').includes(received)) {
          errors.push({ type: 'return_type_mismatch', message: 'Return type mismatch between linked nodes', details: `${input.name}, received_type(${received}) mismatch input_type(${wanted})`, extra_info: { input_name: input.name, input_config: input.spec, received_type: received, linked_node: val } });
        }
        if (!this.node(val[0])) ok = false;
        continue;
      }
      if (specOptions(input.spec).image_upload === true) continue; // checked by the custom validator, as LoadImage does
      checkValue(input.name, input.spec, val, errors);
    }
    const custom = this.custom(node.class_type, node.inputs);
    if (custom !== true) errors.push({ type: 'custom_validation_failed', message: 'Custom validation failed for node', details: custom, extra_info: { input_name: Object.keys(node.inputs)[0] ?? '' } });
    return ok && errors.length === 0;
  }

  private ancestorsOk(id: string): boolean {
    const node = this.prompt[id];
    return node === undefined ? false : Object.values(node.inputs).filter(isLink).every((l) => this.node(l[0]));
  }
}

class KeyError extends Error {
  constructor(readonly key: string) { super(`'${key}'`); }
}

/** Validates a prompt exactly as far as the batch client can observe ComfyUI doing it. */
export function validatePrompt(prompt: unknown, info: ObjectInfo, custom: CustomValidator): Validation {
  const fail = (type: string, message: string, details: string): Validation => ({ ok: false, body: { error: { type, message, details, extra_info: {} }, node_errors: {} } });
  if (prompt === null || typeof prompt !== 'object') return fail('invalid_prompt', 'Cannot execute because a node is missing the class_type property.', "Node ID '#0'");
  const p = prompt as ApiPrompt;
  const outputs: string[] = [];
  for (const [id, node] of Object.entries(p)) {
    if (typeof node?.class_type !== 'string') return fail('invalid_prompt', 'Cannot execute because a node is missing the class_type property.', `Node ID '#${id}'`);
    const def = info[node.class_type];
    if (def === undefined) return fail('invalid_prompt', `Cannot execute because node ${node.class_type} does not exist.`, `Node ID '#${id}'`);
    if (def.output_node) outputs.push(id);
  }
  if (outputs.length === 0) return fail('prompt_no_outputs', 'Prompt has no outputs', '');
  const v = new Validator(p, info, custom);
  const good: string[] = [];
  const summary: string[] = [];
  const nodeErrors: Record<string, { errors: ErrorDetail[]; dependent_outputs: string[]; class_type: string }> = {};
  for (const o of outputs) {
    let valid: boolean;
    try {
      valid = v.node(o);
    } catch (e) {
      if (!(e instanceof KeyError)) throw e;
      valid = false;
      v.results.set(o, [{ type: 'exception_during_validation', message: 'Exception when validating node', details: e.message, extra_info: { exception_type: 'KeyError', traceback: [] } }]);
    }
    if (valid) { good.push(o); continue; }
    for (const r of v.results.get(o) ?? []) summary.push(`${r.message}: ${r.details}`);
    for (const [id, errs] of v.results) {
      if (errs.length === 0) continue;
      nodeErrors[id] ??= { errors: errs, dependent_outputs: [], class_type: p[id]?.class_type ?? '' };
      nodeErrors[id].dependent_outputs.push(o);
    }
  }
  if (good.length === 0) {
    return { ok: false, body: { error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: summary.join('\n'), extra_info: {} }, node_errors: nodeErrors } };
  }
  return { ok: true, outputs: good };
}
