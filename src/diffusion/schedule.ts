/**
 * The noise schedule and the DDIM timestep spacing of the reference pack's diffusion model. Both must equal
 * what the model was trained with (training/diffusion.py):
 * - linear betas β_i = betaStart + (betaEnd − betaStart)·i/(T−1), i = 0..T−1 (torch.linspace), and
 *   ᾱ_t = Π_{i≤t} (1 − β_i) accumulated in float64, then rounded to float32 as training stores it;
 * - DDIM timesteps t_i = floor(i·T/steps) for i = steps−1 down to 0, and ᾱ_prev of the last step = 1.
 */
import { DpHyperLoraError } from '../errors.js';

/** The manifest's `sampler.schedule` (only the linear kind exists). */
export interface LinearSchedule {
  readonly kind: 'linear';
  readonly betaStart: number;
  readonly betaEnd: number;
}

/** ᾱ_t for t = 0..T−1 (float32 values, like the trained model's schedule). */
export function alphaBars(schedule: LinearSchedule, timesteps: number): Float32Array {
  const { betaStart, betaEnd } = schedule;
  if (schedule.kind !== 'linear') throw new DpHyperLoraError('PACK_INVALID', `sampler.schedule.kind "${String(schedule.kind)}" is not supported; use "linear"`);
  if (!Number.isSafeInteger(timesteps) || timesteps < 2) throw new DpHyperLoraError('PACK_INVALID', `sampler.timesteps ${timesteps} must be an integer ≥ 2`);
  if (!(betaStart > 0 && betaEnd < 1 && betaStart <= betaEnd)) {
    throw new DpHyperLoraError('PACK_INVALID', `sampler.schedule betas [${betaStart}, ${betaEnd}] must satisfy 0 < betaStart ≤ betaEnd < 1`);
  }
  const out = new Float32Array(timesteps);
  let product = 1;
  for (let i = 0; i < timesteps; i++) {
    product *= 1 - (betaStart + ((betaEnd - betaStart) * i) / (timesteps - 1));
    out[i] = product;
  }
  return out;
}

/** The descending DDIM timestep indices for `steps` steps out of `timesteps` (e.g. 50 of 1000: 980, 960, …, 0). */
export function ddimTimesteps(steps: number, timesteps: number): number[] {
  if (!Number.isSafeInteger(steps) || steps < 1 || steps > timesteps) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `steps ${steps} must be an integer between 1 and the model's ${timesteps} timesteps`);
  }
  const out: number[] = [];
  for (let i = steps - 1; i >= 0; i--) out.push(Math.floor((i * timesteps) / steps));
  return out;
}
