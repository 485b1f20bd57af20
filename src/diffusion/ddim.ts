/**
 * One deterministic DDIM step (Song et al. 2021, eta = 0), element-wise and pure:
 *
 *   x̂0  = (x_t − √(1−ᾱ_t)·ε) / √ᾱ_t            (optionally clamped to the pixel range, then
 *   ε'  = (x_t − √ᾱ_t·x̂0) / √(1−ᾱ_t)             ε recomputed from the clamped x̂0, "clip_denoised")
 *   x_prev = √ᾱ_prev·x̂0 + √(1−ᾱ_prev)·ε'
 *
 * exactly as training/diffusion.py `ddim_sample` does, so that the TypeScript sampler reproduces the trained
 * model's samples. Arithmetic is in float64 per element, stored as float32.
 */

/** Options of {@link ddimStep}. */
export interface DdimStepOptions {
  /** ᾱ at the current timestep. */
  readonly alphaBar: number;
  /** ᾱ at the next (smaller) timestep; 1 for the last step. */
  readonly alphaBarPrev: number;
  /** Clamp x̂0 to this range (the model's pixel range) and recompute ε; undefined: no clamp. */
  readonly clampRange?: readonly [number, number];
}

/** Writes x_prev into `x` in place, given the model's ε prediction `eps` for x (same length). */
export function ddimStep(x: Float32Array, eps: Float32Array, o: DdimStepOptions): void {
  const sa = Math.sqrt(o.alphaBar);
  const s1a = Math.sqrt(1 - o.alphaBar);
  const sp = Math.sqrt(o.alphaBarPrev);
  const s1p = Math.sqrt(1 - o.alphaBarPrev);
  const [lo, hi] = o.clampRange ?? [-Infinity, Infinity];
  const clamp = o.clampRange !== undefined;
  for (let i = 0; i < x.length; i++) {
    const xt = x[i] ?? 0;
    let e = eps[i] ?? 0;
    let x0 = (xt - s1a * e) / sa;
    if (clamp) {
      x0 = Math.min(hi, Math.max(lo, x0));
      e = (xt - sa * x0) / s1a;
    }
    x[i] = sp * x0 + s1p * e;
  }
}
