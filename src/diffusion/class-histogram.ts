/**
 * Class-histogram KL: how far the class mix of generated images is from a reference mix, using the pack's
 * classifier (features.onnx logits). Same definitions as training/fid.py, so numbers are comparable.
 */
import { DpHyperLoraError } from '../errors.js';

/** Fractions of rows per argmax class of `logits` ([count, classes], row-major). */
export function classHistogram(logits: Float32Array, count: number, classes: number): Float64Array {
  if (count < 1 || classes < 1 || logits.length !== count * classes) {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `class histogram: ${logits.length} logits do not form ${count}×${classes}`);
  }
  const hist = new Float64Array(classes);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if ((logits[i * classes + c] ?? -Infinity) > (logits[i * classes + best] ?? -Infinity)) best = c;
    hist[best]! += 1 / count;
  }
  return hist;
}

/**
 * KL(p ‖ q) in nats after flooring both at `floor` and renormalising, so that a class one side never shows
 * gives a large but finite value (default floor 1e-4: a tenth of one sample in a thousand).
 */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>, floor = 1e-4): number {
  if (p.length !== q.length || p.length === 0) throw new DpHyperLoraError('INVALID_ARGUMENT', `KL: histograms have ${p.length} and ${q.length} bins`);
  const pf = Array.from(p, (v) => Math.max(v, floor));
  const qf = Array.from(q, (v) => Math.max(v, floor));
  const ps = pf.reduce((a, v) => a + v, 0);
  const qs = qf.reduce((a, v) => a + v, 0);
  let kl = 0;
  for (let i = 0; i < pf.length; i++) {
    const pi = pf[i]! / ps;
    kl += pi * (Math.log(pi) - Math.log(qf[i]! / qs));
  }
  return kl;
}
