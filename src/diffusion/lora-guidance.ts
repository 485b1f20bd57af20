/**
 * LoRA guidance: classifier-free guidance (Ho & Salimans 2022) in which "LoRA on" is the condition and the base
 * model is the unconditional model,
 *
 *   ε = ε_base + w · (ε_lora − ε_base),
 *
 * so that w > 1 pushes the samples further along the direction the LoRA moves them (in the reference world it
 * brings the class mix of the samples much closer to the set's than the LoRA alone; docs/training.md). w = 1 is the
 * LoRA alone and w = 0 the base model.
 *
 * Privacy: it only reads the released LoRA and the public base model, so it is post-processing of a DP output and
 * costs no privacy budget, whatever w is.
 *
 * Cost: for w ∉ {0, 1} every sampling step runs both models, which doubles the model calls (and the sampling
 * time). w = 1 calls only the LoRA model and w = 0 only the base model, returning their ε unchanged.
 */
import { DpHyperLoraError } from '../errors.js';
import type { EpsPredictor } from './unet-model.js';

/** Largest accepted guidance weight: beyond it samples only get noisier (CFG over-saturates). */
export const MAX_LORA_GUIDANCE = 10;

/**
 * Returns `w` when it is a usable guidance weight (finite, in [0, {@link MAX_LORA_GUIDANCE}]); otherwise throws
 * INVALID_ARGUMENT naming `what` (e.g. "--guidance"). A public sampling parameter: no privacy meaning.
 */
export function checkLoraGuidance(w: number, what = 'LoRA guidance'): number {
  if (!Number.isFinite(w) || w < 0 || w > MAX_LORA_GUIDANCE) {
    throw new DpHyperLoraError('INVALID_ARGUMENT',
      `${what} ${String(w)} is not a usable guidance weight: it must be a finite number from 0 to ${MAX_LORA_GUIDANCE} ` +
      `(1 = the LoRA alone, 0 = the base model, above 1 steers harder towards the LoRA). Pass a value in that range.`);
  }
  return w;
}

/** Options of {@link LoraGuidedEps}. */
export interface LoraGuidedEpsOptions {
  /** The unconditional model: the base model without the LoRA. */
  readonly base: EpsPredictor;
  /** The conditional model: the same base model with the (DP) LoRA injected. */
  readonly lora: EpsPredictor;
  /** Guidance weight w in [0, 10]; 1 = the LoRA alone. */
  readonly weight: number;
}

/**
 * An ε-predictor that mixes a base and a LoRA predictor by LoRA guidance (see the file comment). The weight is
 * checked at construction; the combination is computed in float64 per element and stored as float32.
 */
export class LoraGuidedEps implements EpsPredictor {
  /** The guidance weight w. */
  readonly weight: number;
  private readonly base: EpsPredictor;
  private readonly lora: EpsPredictor;

  constructor(o: LoraGuidedEpsOptions) {
    this.weight = checkLoraGuidance(o.weight);
    this.base = o.base;
    this.lora = o.lora;
  }

  async predict(x: Float32Array, dims: readonly [number, number, number, number], t: number): Promise<Float32Array> {
    if (this.weight === 1) return this.lora.predict(x, dims, t);
    if (this.weight === 0) return this.base.predict(x, dims, t);
    // One model after the other: both usually share one onnxruntime session, which already uses every core.
    const epsBase = await this.base.predict(x, dims, t);
    const epsLora = await this.lora.predict(x, dims, t);
    if (epsBase.length !== epsLora.length) {
      throw new DpHyperLoraError('PACK_INVALID',
        `LoRA guidance: the base model returned ${epsBase.length} values and the LoRA model ${epsLora.length} for the same input; both must be the pack's unet.onnx.`);
    }
    const w = this.weight;
    const out = new Float32Array(epsBase.length);
    for (let i = 0; i < out.length; i++) {
      const b = epsBase[i] ?? 0;
      out[i] = b + w * ((epsLora[i] ?? 0) - b);
    }
    return out;
  }
}
