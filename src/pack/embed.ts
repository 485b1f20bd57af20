/**
 * Streamed embedding: decode → identify → preprocess → batch (≤ maxBatch) → encoder → rows handed to a sink
 * (the DP clipped-sum accumulator). Memory is bounded by the pipeline, not by n: at most `decodeConcurrency`
 * images are in flight, of which at most SHARP_DECODE_LIMIT full-size libvips decodes (./preprocess.ts); each
 * decoded image is reduced at once to its ledger id and its small encoder input,
 * and at most two batches of encoder input are alive (one being filled while the encoder runs on the previous).
 * Embedding rows are passed on and dropped; nothing per image is kept except its 64-hex ledger id.
 */
import * as ort from 'onnxruntime-node';
import { DpHyperLoraError, isDpError } from '../errors.js';
import { type DecodedImage, type EncoderInputSpec, encoderInputSize, writeEncoderInput } from './preprocess.js';

/** One image to embed: a loader (decode from disk, or an in-memory image) and a private label for local display. */
export interface ImageTask {
  load(): Promise<DecodedImage>;
  /** Private (a file name): only ever passed back to `onUnreadable`, never into messages or reports. */
  readonly label: string;
}

/** Where embedding rows go: `rows` holds one row of `dim` floats per id, in order (valid only during the call). */
export type EmbeddingSink<Id> = (ids: readonly Id[], rows: Float32Array) => void;

/** Options of {@link embedStream}. */
export interface EmbedStreamOptions<Id> {
  readonly tasks: AsyncIterable<ImageTask> | Iterable<ImageTask>;
  readonly encoder: ort.InferenceSession;
  readonly inputName: string;
  readonly outputName: string;
  readonly spec: EncoderInputSpec;
  readonly embeddingDim: number;
  readonly maxBatch: number;
  /** Computes the ledger identity of a decoded image (before resizing). */
  identify(img: DecodedImage): Id;
  readonly sink: EmbeddingSink<Id>;
  /**
   * 'skip': count and report through onUnreadableFile; 'fail': report every such file through onUnreadableFile,
   * then throw IMAGE_UNREADABLE (no budget spent yet).
   */
  readonly onUnreadable: 'skip' | 'fail';
  /** Called with the private label of each file that failed to decode (for the local terminal only). */
  readonly onUnreadableFile?: (label: string, reason: string) => void;
  /** Called after each batch with the number of images done so far (PRIVATE: the local progress display only). */
  readonly onProgress?: (done: number) => void;
  /**
   * Images in flight (read, decoded, preprocessed) ahead of the encoder; default 16. Large images additionally
   * pass through sharp's own limit of concurrent decodes (./preprocess.ts), which bounds their memory.
   */
  readonly decodeConcurrency?: number;
}

/** What a stream produced: identities (in input order) and timings. */
export interface EmbedStreamResult<Id> {
  readonly ids: Id[];
  readonly skipped: number;
  /**
   * Images left out because an identical image (same decoded pixels, so the same ledger id) came earlier in the
   * stream. The unit of privacy is one image: counting a copy twice would double its contribution to the sum
   * (sensitivity 2C for that image) while the ledger charges it once, so copies are dropped before embedding.
   */
  readonly duplicates: number;
  /** Milliseconds awaiting encoder.run (its forward passes plus scheduling delay on a busy event loop). */
  readonly encoderMs: number;
  /** Milliseconds of the whole stream (decode, preprocess, encoder, sink). */
  readonly totalMs: number;
}

interface Prepared<Id> {
  readonly id: Id;
  readonly input: Float32Array;
}

/** Loads, identifies and preprocesses one task; resolves `{ failed }` when the file cannot be decoded. */
async function prepare<Id>(task: ImageTask, o: EmbedStreamOptions<Id>, size: number): Promise<Prepared<Id> | { failed: string }> {
  let img: DecodedImage;
  try {
    img = await task.load();
  } catch (e) {
    // Our own errors (e.g. a malformed in-memory image) are the caller's mistake, not an unreadable file.
    if (isDpError(e)) throw e;
    return { failed: (e as Error).message.split('\n')[0] ?? 'decode failed' };
  }
  const input = new Float32Array(size);
  await writeEncoderInput(img, o.spec, input, 0);
  return { id: o.identify(img), input };
}

async function runBatch<Id>(o: EmbedStreamOptions<Id>, batch: Prepared<Id>[], size: number): Promise<number> {
  const data = new Float32Array(batch.length * size);
  batch.forEach((p, i) => data.set(p.input, i * size));
  const feeds = { [o.inputName]: new ort.Tensor('float32', data, [batch.length, o.spec.channels, o.spec.height, o.spec.width]) };
  const t0 = performance.now();
  let out;
  try {
    out = await o.encoder.run(feeds, [o.outputName]);
  } catch (e) {
    throw new DpHyperLoraError('ONNX_RUNTIME', `the pack's encoder failed on a batch of ${batch.length} image(s): ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
  const ms = performance.now() - t0;
  const emb = out[o.outputName];
  if (emb === undefined || emb.type !== 'float32' || emb.dims.length !== 2 || emb.dims[0] !== batch.length || emb.dims[1] !== o.embeddingDim) {
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `the pack's encoder output "${o.outputName}" has shape [${emb?.dims.join(', ') ?? 'missing'}], expected [${batch.length}, ${o.embeddingDim}] (manifest embeddingDim).`);
  }
  o.sink(batch.map((p) => p.id), (emb.data as Float32Array).subarray(0, batch.length * o.embeddingDim));
  return ms;
}

/**
 * The error of policy 'fail'. Privacy: it reaches ComfyUI and --json output, so it is one fixed text whatever the
 * folder holds: no file name and no count (how many files failed is a function of the private set).
 */
function unreadableError(): DpHyperLoraError {
  return new DpHyperLoraError('IMAGE_UNREADABLE',
    'some files in the image folder could not be decoded as images. Their names are private, so they appear only on a local terminal: '
    + 'the dp-hyperlora CLI (generate --images on this folder) lists all of them in lines marked "[local only, do not share]" and stops before spending budget. '
    + 'Remove or fix them, or set on_unreadable (--on-unreadable) to skip to leave such files out. No privacy budget was spent.');
}

/**
 * Runs the stream. Order of ids follows the tasks. With policy 'fail', every image is still decoded so that each
 * one that cannot be is passed to `onUnreadableFile`, and then IMAGE_UNREADABLE is thrown (before any budget is
 * spent; nothing is embedded after the first failure); with 'skip' such images are counted in `skipped`.
 */
export async function embedStream<Id>(o: EmbedStreamOptions<Id>): Promise<EmbedStreamResult<Id>> {
  const t0 = performance.now();
  const size = encoderInputSize(o.spec);
  const window = Math.max(1, o.decodeConcurrency ?? 16);
  const pending: Promise<Prepared<Id> | { failed: string }>[] = [];
  const labels: string[] = [];
  const ids: Id[] = [];
  let batch: Prepared<Id>[] = [];
  let skipped = 0;
  let duplicates = 0;
  const seen = new Set<Id>();
  let encoderMs = 0;
  let encoding: Promise<number> | undefined;
  const settleOne = async (): Promise<void> => {
    const r = await (pending.shift() as Promise<Prepared<Id> | { failed: string }>);
    const label = labels.shift() as string;
    if ('failed' in r) {
      o.onUnreadableFile?.(label, r.failed);
      skipped++;
      return;
    }
    // Under 'fail', once a file failed nothing more is embedded: the rest is only decoded, to name every bad file.
    if (o.onUnreadable === 'fail' && skipped > 0) return;
    if (seen.has(r.id)) { duplicates++; return; }
    seen.add(r.id);
    ids.push(r.id);
    batch.push(r);
    if (batch.length >= o.maxBatch) await flush();
  };
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const full = batch;
    batch = [];
    // One encoder call in flight: wait for the previous one, then start this one and keep decoding meanwhile.
    if (encoding !== undefined) encoderMs += await encoding;
    encoding = runBatch(o, full, size);
    encoding.then(() => o.onProgress?.(ids.length), () => undefined);
  };
  try {
    for await (const task of o.tasks) {
      labels.push(task.label);
      pending.push(prepare(task, o, size));
      if (pending.length >= window) await settleOne();
    }
    while (pending.length > 0) await settleOne();
    if (o.onUnreadable === 'fail' && skipped > 0) throw unreadableError();
    await flush();
    if (encoding !== undefined) encoderMs += await encoding;
  } catch (e) {
    // Let in-flight work finish quietly before rethrowing, so no promise rejects unobserved.
    await Promise.allSettled([...pending, ...(encoding ? [encoding] : [])]);
    throw e;
  }
  return { ids, skipped, duplicates, encoderMs, totalMs: performance.now() - t0 };
}
