/**
 * ComfyUI's dict- and list-shaped core types as the worker sees them, with builders for outputs. The Python bridge
 * (python/comfy_ts_bridge/converters.py) sends each as a `tensors` value in these layouts:
 * - LATENT: entries `samples` [B, C, H, W] and optionally `noise_mask`; metadata `batch_index` = "0,1,…".
 * - CONDITIONING: entry `c<i>` is item i's tensor [B, T, D], `c<i>.<key>` a tensor entry of its dict (pooled_output);
 *   metadata `count`, `c<i>.<key>` = JSON of a number, bool or list of numbers, `c<i>.dropped` = keys not sent.
 * IMAGE and MASK are plain `tensor` values (uint8 [B, H, W, C] and float32 [B, H, W]).
 */
import { NodeSdkError } from './errors.js';
import type { Tensor } from './tensor.js';
import type { DecodedValue } from './values.js';

type Tensors = Extract<DecodedValue, { kind: 'tensors' }>;

/** A LATENT: the samples, an optional noise mask and an optional batch index. */
export interface Latent {
  readonly samples: Tensor;
  readonly noiseMask?: Tensor;
  readonly batchIndex?: readonly number[];
}

/** One CONDITIONING item: its tensor, the tensors of its dict, its numeric entries, and the keys the bridge dropped. */
export interface ConditioningItem {
  readonly cond: Tensor;
  readonly tensors: Readonly<Record<string, Tensor>>;
  readonly values: Readonly<Record<string, number | boolean | readonly number[]>>;
  readonly dropped: readonly string[];
}

function bad(what: string): NodeSdkError {
  return new NodeSdkError('INVALID_INPUT_DATA', `${what}; connect the matching ComfyUI output, or update the bridge and the worker to the same version.`);
}

/** Reads a LATENT input value. */
export function readLatent(v: DecodedValue): Latent {
  if (v.kind !== 'tensors' || v.tensors.samples === undefined) throw bad('a LATENT must be a tensor dict with "samples"');
  const index = v.metadata.batch_index;
  return {
    samples: v.tensors.samples,
    ...(v.tensors.noise_mask !== undefined ? { noiseMask: v.tensors.noise_mask } : {}),
    ...(index !== undefined && index !== '' ? { batchIndex: index.split(',').map(Number) } : {}),
  };
}

/** A LATENT output value. */
export function latentValue(latent: Latent): Tensors {
  return {
    kind: 'tensors',
    tensors: { samples: latent.samples, ...(latent.noiseMask !== undefined ? { noise_mask: latent.noiseMask } : {}) },
    metadata: latent.batchIndex !== undefined ? { batch_index: latent.batchIndex.join(',') } : {},
  };
}

function numeric(x: unknown): x is number | boolean | number[] {
  return typeof x === 'number' || typeof x === 'boolean' || (Array.isArray(x) && x.every((e) => typeof e === 'number'));
}

/** Reads a CONDITIONING input value, item by item. */
export function readConditioning(v: DecodedValue): ConditioningItem[] {
  if (v.kind !== 'tensors' || v.metadata.count === undefined) throw bad('a CONDITIONING must be a tensor dict with a "count"');
  const count = Number(v.metadata.count);
  const items: ConditioningItem[] = [];
  for (let i = 0; i < count; i++) {
    const cond = v.tensors[`c${i}`];
    if (cond === undefined) throw bad(`CONDITIONING item ${i} has no tensor`);
    const prefix = `c${i}.`;
    const tensors: Record<string, Tensor> = {};
    const values: Record<string, number | boolean | number[]> = {};
    for (const [name, t] of Object.entries(v.tensors)) if (name.startsWith(prefix)) tensors[name.slice(prefix.length)] = t;
    for (const [name, text] of Object.entries(v.metadata)) {
      if (!name.startsWith(prefix) || name === `${prefix}dropped`) continue;
      const parsed: unknown = JSON.parse(text);
      if (!numeric(parsed)) throw bad(`CONDITIONING entry ${name} is not a number, bool or list of numbers`);
      values[name.slice(prefix.length)] = parsed;
    }
    const dropped = v.metadata[`${prefix}dropped`];
    items.push({ cond, tensors, values, dropped: dropped === undefined || dropped === '' ? [] : dropped.split(',') });
  }
  return items;
}

/** A CONDITIONING output value (the dropped keys of an input item cannot come back: they are not sent). */
export function conditioningValue(items: readonly Omit<ConditioningItem, 'dropped'>[]): Tensors {
  const tensors: Record<string, Tensor> = {};
  const metadata: Record<string, string> = { count: String(items.length) };
  items.forEach((item, i) => {
    tensors[`c${i}`] = item.cond;
    for (const [k, t] of Object.entries(item.tensors)) tensors[`c${i}.${k}`] = t;
    for (const [k, x] of Object.entries(item.values)) metadata[`c${i}.${k}`] = JSON.stringify(x);
  });
  return { kind: 'tensors', tensors, metadata };
}
