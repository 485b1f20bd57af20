/**
 * Reads a kohya-format LoRA back from a parsed safetensors file for a given layout: the factors as Float32
 * (decoded from F32/F16/BF16), the rank and the alpha, checked exactly like assembly checks the hypernetwork's
 * outputs. Used to sample from a saved LoRA file (the reference pack's UNet takes the factors as inputs).
 */
import { DpHyperLoraError } from '../errors.js';
import type { NamedFloatTensor } from './assemble.js';
import { decodeFloats } from './dtype.js';
import { alphaKey, downKey, type LoraLayout, upKey } from './layouts/layout.js';
import type { SafetensorsFile } from './safetensors-reader.js';

/** A LoRA read back from a file. */
export interface LoadedLora {
  readonly factors: Record<string, NamedFloatTensor>;
  readonly rank: number;
  /** alpha from the `.alpha` tensors (all equal), or the rank when the file has none (ComfyUI's default). */
  readonly alpha: number;
}

/** Extracts and checks the LoRA of `layout` from `file`; throws SAFETENSORS_INVALID listing every problem. */
export function loraFromSafetensors(file: SafetensorsFile, layout: LoraLayout): LoadedLora {
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const first = layout.modules[0];
  const rank = first === undefined ? 0 : (byName.get(downKey(first.key))?.shape[0] ?? 0);
  const problems: string[] = [];
  const factors: Record<string, NamedFloatTensor> = {};
  const alphas = new Set<number>();
  const used = new Set<string>();
  for (const m of layout.modules) {
    for (const [name, dims] of [[downKey(m.key), [rank, m.in]], [upKey(m.key), [m.out, rank]]] as const) {
      const t = byName.get(name);
      used.add(name);
      if (t === undefined) problems.push(`missing ${name}`);
      else if (t.shape.length !== 2 || t.shape[0] !== dims[0] || t.shape[1] !== dims[1]) problems.push(`${name} is [${t.shape.join(', ')}], expected [${dims.join(', ')}]`);
      else factors[name] = { data: decodeFloats(t.bytes, t.dtype), dims: [...dims] };
    }
    const a = byName.get(alphaKey(m.key));
    used.add(alphaKey(m.key));
    if (a !== undefined) {
      const v = a.shape.length === 0 ? decodeFloats(a.bytes, a.dtype)[0] : undefined;
      if (v === undefined || !Number.isFinite(v) || v <= 0) problems.push(`${alphaKey(m.key)} must be a positive 0-dim scalar`);
      else alphas.add(v);
    }
  }
  const extra = file.tensors.filter((t) => !used.has(t.name)).map((t) => t.name);
  if (extra.length > 0) problems.push(`tensors outside the ${layout.name} layout: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}`);
  if (alphas.size > 1) problems.push(`modules have different alphas (${[...alphas].slice(0, 4).join(', ')})`);
  if (rank < 1) problems.push('the rank cannot be read from the first module\'s lora_down.weight');
  if (problems.length > 0) {
    throw new DpHyperLoraError('SAFETENSORS_INVALID',
      `the file is not a ${layout.name} LoRA (${problems.length} problem(s)): ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? '; …' : ''}`);
  }
  return { factors, rank, alpha: alphas.size === 1 ? [...alphas][0]! : rank };
}
