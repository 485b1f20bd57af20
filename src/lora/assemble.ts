/**
 * LoRA assembly: the hypernetwork's named outputs, checked against a layout, become the tensor set of a
 * kohya-format LoRA (`K.lora_down.weight` [r, in], `K.lora_up.weight` [out, r], 0-dim `K.alpha`) and then
 * safetensors bytes with DP metadata. Pure: no ONNX, no filesystem.
 *
 * Everything that could make ComfyUI ignore or misapply a tensor is refused here, with every problem listed
 * at once: a missing or extra factor, a wrong shape, a non-finite value.
 */
import { DpHyperLoraError } from '../errors.js';
import type { FloatDtype } from './dtype.js';
import { alphaKey, downKey, type LoraLayout, upKey } from './layouts/layout.js';
import { type LoraMetadata, metadataToHeader } from './metadata.js';
import { type SafetensorsInput, serializeSafetensors } from './safetensors-writer.js';

/** A float tensor as the hypernetwork returns it (structurally compatible with an ort.Tensor of float32). */
export interface NamedFloatTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** Inputs of {@link assembleLora}. */
export interface AssembleLoraOptions {
  /** Hypernetwork outputs by tensor name: exactly `<key>.lora_down.weight` and `<key>.lora_up.weight` per module. */
  readonly outputs: Readonly<Record<string, NamedFloatTensor>>;
  readonly layout: LoraLayout;
  /** LoRA rank r (the manifest's lora.rank). */
  readonly rank: number;
  /** LoRA alpha (the manifest's lora.alpha); ComfyUI scales the update by alpha / rank. */
  readonly alpha: number;
  /** Storage dtype of the factors; default F32. alpha tensors are always F32. */
  readonly dtype?: FloatDtype;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The first index holding NaN or ±Inf, or -1. */
function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** Checks one factor tensor; pushes problems. */
function checkFactor(name: string, t: NamedFloatTensor | undefined, shape: readonly number[], problems: string[]): void {
  if (t === undefined) {
    problems.push(`missing ${name}`);
    return;
  }
  if (!(t.data instanceof Float32Array)) problems.push(`${name} is not float32`);
  else if (!sameShape(t.dims, shape)) problems.push(`${name} has shape [${t.dims.join(', ')}], expected [${shape.join(', ')}]`);
  else if (t.data.length !== shape.reduce((a, d) => a * d, 1)) problems.push(`${name} holds ${t.data.length} values for shape [${shape.join(', ')}]`);
  else {
    const bad = firstNonFinite(t.data);
    if (bad >= 0) problems.push(`${name} has a non-finite value at index ${bad}`);
  }
}

/** Validates the outputs against the layout and returns the LoRA's tensors (factors + alphas), in layout order. */
export function assembleLora(options: AssembleLoraOptions): SafetensorsInput[] {
  const { outputs, layout, rank, alpha } = options;
  const dtype = options.dtype ?? 'F32';
  if (!Number.isSafeInteger(rank) || rank <= 0) throw new DpHyperLoraError('PACK_INVALID', `LoRA rank ${rank} must be a positive integer`);
  if (!Number.isFinite(alpha) || alpha <= 0) throw new DpHyperLoraError('PACK_INVALID', `LoRA alpha ${alpha} must be a positive number`);
  const problems: string[] = [];
  const expected = new Set<string>();
  const tensors: SafetensorsInput[] = [];
  for (const m of layout.modules) {
    const down = downKey(m.key);
    const up = upKey(m.key);
    expected.add(down).add(up);
    const d = outputs[down];
    const u = outputs[up];
    checkFactor(down, d, [rank, m.in], problems);
    checkFactor(up, u, [m.out, rank], problems);
    if (d !== undefined && u !== undefined) {
      tensors.push({ name: down, dtype, shape: [rank, m.in], values: d.data });
      tensors.push({ name: up, dtype, shape: [m.out, rank], values: u.data });
      tensors.push({ name: alphaKey(m.key), dtype: 'F32', shape: [], values: Float32Array.of(alpha) });
    }
  }
  const extra = Object.keys(outputs).filter((k) => !expected.has(k));
  if (extra.length > 0) problems.push(`unexpected output(s) ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ` and ${extra.length - 5} more` : ''}`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ') + (problems.length > 10 ? `; and ${problems.length - 10} more` : '');
    throw new DpHyperLoraError('PACK_INVALID',
      `the hypernetwork's outputs do not form a valid ${layout.name} LoRA of rank ${rank} (${problems.length} problem(s)): ${shown}. The pack is damaged or was exported for another layout.`);
  }
  return tensors;
}

/** Assembles the LoRA and serialises it with its DP metadata: the bytes of the .safetensors file. */
export function loraToSafetensors(options: AssembleLoraOptions & { readonly metadata: LoraMetadata }): Uint8Array {
  if (options.metadata.layout !== options.layout.name || options.metadata.rank !== options.rank || options.metadata.alpha !== options.alpha) {
    throw new DpHyperLoraError('INVALID_ARGUMENT',
      `LoRA metadata (layout ${options.metadata.layout}, rank ${options.metadata.rank}, alpha ${options.metadata.alpha}) disagrees with the tensors (layout ${options.layout.name}, rank ${options.rank}, alpha ${options.alpha})`);
  }
  return serializeSafetensors(assembleLora(options), metadataToHeader(options.metadata));
}
