/**
 * Feature extraction through a pack's `features.onnx` (docs/pack-format.md, "features"): images [N,C,H,W],
 * preprocessed like the encoder's input, in batches → features [N,F] (for FID) and, when the network has a
 * classifier head, logits [N,classes] (for the class-histogram KL).
 */
import * as ort from 'onnxruntime-node';
import { DpHyperLoraError } from '../errors.js';

/** The manifest's `features` section (names only; the session is opened by the caller). */
export interface FeaturesSpec {
  readonly inputName: string;
  readonly featuresName: string;
  readonly logitsName?: string;
}

/** Features (and logits, when the spec names them) of N images, row-major. */
export interface ExtractedFeatures {
  readonly count: number;
  readonly features: Float32Array;
  readonly featureDim: number;
  readonly logits?: Float32Array;
  readonly classes?: number;
}

/** Reads one float32 2-D output with `rows` rows, or throws PACK_INVALID naming it. */
function matrixOutput(out: ort.InferenceSession.ReturnType, name: string, rows: number): { data: Float32Array; cols: number } {
  const t = out[name];
  if (t === undefined || !(t.data instanceof Float32Array) || t.dims.length !== 2 || t.dims[0] !== rows) {
    throw new DpHyperLoraError('PACK_INVALID', `features.onnx output "${name}" is [${t?.dims.join(', ') ?? 'missing'}], expected float32 [${rows}, F]`);
  }
  return { data: t.data, cols: t.dims[1] ?? 0 };
}

/** Runs `session` over `images` ([count, C, H, W] in `dims`) in batches of `batchSize` (default 256). */
export async function extractFeatures(
  session: ort.InferenceSession,
  spec: FeaturesSpec,
  images: Float32Array,
  dims: readonly [number, number, number, number],
  batchSize = 256,
): Promise<ExtractedFeatures> {
  const [count, c, h, w] = dims;
  const per = c * h * w;
  if (images.length !== count * per || count < 1) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `extractFeatures: ${images.length} values do not form [${dims.join(', ')}]`);
  }
  const names = spec.logitsName === undefined ? [spec.featuresName] : [spec.featuresName, spec.logitsName];
  const featureParts: Float32Array[] = [];
  const logitParts: Float32Array[] = [];
  let featureDim = 0;
  let classes = 0;
  for (let start = 0; start < count; start += batchSize) {
    const b = Math.min(batchSize, count - start);
    const input = new ort.Tensor('float32', images.subarray(start * per, (start + b) * per), [b, c, h, w]);
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await session.run({ [spec.inputName]: input }, names);
    } catch (e) {
      throw new DpHyperLoraError('ONNX_RUNTIME', `features.onnx failed: ${(e as Error).message}`, { cause: e });
    }
    const f = matrixOutput(out, spec.featuresName, b);
    featureDim = f.cols;
    featureParts.push(f.data);
    if (spec.logitsName !== undefined) {
      const l = matrixOutput(out, spec.logitsName, b);
      classes = l.cols;
      logitParts.push(l.data);
    }
  }
  const concat = (parts: Float32Array[], width: number): Float32Array => {
    const all = new Float32Array(count * width);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return all;
  };
  const result: ExtractedFeatures = { count, features: concat(featureParts, featureDim), featureDim };
  return spec.logitsName === undefined ? result : { ...result, logits: concat(logitParts, classes), classes };
}
