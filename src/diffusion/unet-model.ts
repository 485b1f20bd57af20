/**
 * The reference pack's `unet.onnx` as an ε-predictor, with a LoRA injected through its factor inputs
 * (docs/pack-format.md, "sampler"): inputs x [B,C,H,W], t [B] (timestep index as float32), lora_scale [1]
 * (= strength · alpha / rank) and, per module K, "K.lora_down.weight" [r,in] and "K.lora_up.weight" [out,r];
 * output eps [B,C,H,W]. The base model is the same graph with all factors zero (and scale 0).
 */
import * as ort from 'onnxruntime-node';
import { DpHyperLoraError } from '../errors.js';
import type { NamedFloatTensor } from '../lora/assemble.js';
import { downKey, type LoraModule, upKey } from '../lora/layouts/layout.js';

/** Anything that predicts ε for a batch at one timestep (the sampler's only view of the model). */
export interface EpsPredictor {
  /** ε for x [B,C,H,W] at integer timestep index t; returns B·C·H·W values. */
  predict(x: Float32Array, dims: readonly [number, number, number, number], t: number): Promise<Float32Array>;
}

/** A LoRA to inject: its factors by tensor name and the scale strength · alpha / rank. */
export interface LoraInjection {
  readonly factors: Readonly<Record<string, NamedFloatTensor>>;
  readonly scale: number;
}

/** The scale ComfyUI applies to up·down: strength · alpha / rank. */
export function loraScale(strength: number, alpha: number, rank: number): number {
  return (strength * alpha) / rank;
}

/** Options of {@link UnetEpsModel}. */
export interface UnetEpsModelOptions {
  /** The pack's LoRA modules (manifest lora.modules). */
  readonly modules: readonly LoraModule[];
  /** The pack's LoRA rank (used for the zero factors of the base model). */
  readonly rank: number;
  /** The LoRA to inject; omitted: the base model. */
  readonly lora?: LoraInjection;
}

function checkFactor(name: string, t: NamedFloatTensor | undefined, dims: readonly number[], problems: string[]): void {
  const count = dims.reduce((a, d) => a * d, 1);
  if (t === undefined) problems.push(`missing ${name}`);
  else if (t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) {
    problems.push(`${name} is [${t.dims.join(', ')}], expected [${dims.join(', ')}]`);
  } else if (t.data.length !== count) {
    // The right shape over the wrong number of values: say so, not "is [a, b], expected [a, b]".
    problems.push(`${name} holds ${t.data.length} values, but its shape [${dims.join(', ')}] needs ${count}`);
  }
}

/** Wraps an onnxruntime session of `unet.onnx`; validates its inputs and the LoRA once, at construction. */
export class UnetEpsModel implements EpsPredictor {
  private readonly factorFeeds: Record<string, ort.Tensor> = {};
  private readonly scaleFeed: ort.Tensor;

  constructor(private readonly session: ort.InferenceSession, o: UnetEpsModelOptions) {
    const expected = ['x', 't', 'lora_scale', ...o.modules.flatMap((m) => [downKey(m.key), upKey(m.key)])];
    const missing = expected.filter((n) => !session.inputNames.includes(n));
    const extra = session.inputNames.filter((n) => !expected.includes(n));
    if (missing.length > 0 || extra.length > 0 || !session.outputNames.includes('eps')) {
      throw new DpHyperLoraError('PACK_INVALID',
        `unet.onnx does not follow the sampler contract: missing input(s) [${missing.slice(0, 5).join(', ')}], unexpected input(s) [${extra.slice(0, 5).join(', ')}]` +
        `${session.outputNames.includes('eps') ? '' : ', no "eps" output'}. Re-export the pack (docs/pack-format.md, "sampler").`);
    }
    const problems: string[] = [];
    for (const m of o.modules) {
      const shapes: Array<[string, number[]]> = [[downKey(m.key), [o.rank, m.in]], [upKey(m.key), [m.out, o.rank]]];
      for (const [name, dims] of shapes) {
        if (o.lora === undefined) {
          this.factorFeeds[name] = new ort.Tensor('float32', new Float32Array(dims[0]! * dims[1]!), dims);
        } else {
          const t = o.lora.factors[name];
          const before = problems.length;
          checkFactor(name, t, dims, problems);
          if (t !== undefined && problems.length === before) this.factorFeeds[name] = new ort.Tensor('float32', t.data, dims);
        }
      }
    }
    if (problems.length > 0) {
      throw new DpHyperLoraError('INVALID_ARGUMENT', `the LoRA does not fit this UNet (rank ${o.rank}): ${problems.slice(0, 8).join('; ')}`);
    }
    const scale = o.lora?.scale ?? 0;
    if (!Number.isFinite(scale)) throw new DpHyperLoraError('INVALID_ARGUMENT', `lora scale ${scale} must be finite`);
    this.scaleFeed = new ort.Tensor('float32', Float32Array.of(scale), [1]);
  }

  async predict(x: Float32Array, dims: readonly [number, number, number, number], t: number): Promise<Float32Array> {
    const feeds: Record<string, ort.Tensor> = {
      ...this.factorFeeds,
      x: new ort.Tensor('float32', x, dims),
      t: new ort.Tensor('float32', new Float32Array(dims[0]).fill(t), [dims[0]]),
      lora_scale: this.scaleFeed,
    };
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run(feeds, ['eps']);
    } catch (e) {
      throw new DpHyperLoraError('ONNX_RUNTIME', `unet.onnx failed at timestep ${t}: ${(e as Error).message}`, { cause: e });
    }
    const eps = out['eps'];
    const n = dims.reduce((a, d) => a * d, 1);
    if (eps === undefined || !(eps.data instanceof Float32Array) || eps.data.length !== n) {
      throw new DpHyperLoraError('PACK_INVALID', `unet.onnx returned eps of shape [${eps?.dims.join(', ') ?? ''}], expected [${dims.join(', ')}] float32`);
    }
    return eps.data;
  }
}
