/**
 * Builds tiny, real ONNX models in TypeScript (through the `onnx-proto` protobuf definitions), so that tests
 * exercise onnxruntime-node on genuine model files without any checked-in binaries or Python.
 *
 * Shared test helper (used by test/pack, test/lora, test/diffusion, test/worker, nodes tests): keep the exported
 * signatures stable. Everything is float32 and deterministic (weights come from a seeded PRNG, never Math.random,
 * so that two builds of the same model are byte-identical and their SHA-256 is stable).
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX opset used by every model built here (onnxruntime-node 1.2x supports it fully). */
export const TEST_OPSET = 13;

/** A graph input/output: float32 with static (number) or symbolic (string) dims. */
export interface ValueSpec {
  readonly name: string;
  readonly shape: readonly (number | string)[];
}

type AttrValue = number | readonly number[] | string;

/**
 * Deterministic PRNG (mulberry32) for test weights. Hand-written because it is five lines and test weights
 * only need reproducibility, not quality; it must never be used for privacy noise (src/dp uses node:crypto).
 */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A float32 array of `size` values uniform in [-scale, scale), from `seed`. */
export function seededWeights(size: number, seed: number, scale: number): Float32Array {
  const next = seededUniform(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (next() * 2 - 1) * scale;
  return out;
}

function valueInfo(spec: ValueSpec): onnxProto.onnx.IValueInfoProto {
  return {
    name: spec.name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: spec.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  }
  return { name, type: T.INTS, ints: [...value] };
}

/** A small graph builder: add inputs, outputs, initializers and nodes, then `build()` the serialised model. */
export class OnnxGraphBuilder {
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly initializerNames = new Set<string>();
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private nodeCount = 0;

  /** Declares a float32 graph input. */
  input(spec: ValueSpec): this {
    this.inputs.push(valueInfo(spec));
    return this;
  }

  /** Declares a float32 graph output. */
  output(spec: ValueSpec): this {
    this.outputs.push(valueInfo(spec));
    return this;
  }

  /** True when an initializer of this name exists (lets callers share constants). */
  hasInitializer(name: string): boolean {
    return this.initializerNames.has(name);
  }

  /** Adds a float32 constant. */
  floatInit(name: string, dims: readonly number[], values: Float32Array | readonly number[]): this {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    this.initializers.push({
      name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    this.initializerNames.add(name);
    return this;
  }

  /** Adds an int64 constant (shapes, repeats, slice bounds). */
  int64Init(name: string, values: readonly number[]): this {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({
      name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(data.buffer),
    });
    this.initializerNames.add(name);
    return this;
  }

  /** Adds a node; attributes are ints, int lists, floats or strings. */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrValue> = {}): this {
    this.nodes.push({
      opType, name: `${opType}_${this.nodeCount++}`, input: [...inputs], output: [...outputs],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return this;
  }

  /** Serialises the model (IR version 7, opset TEST_OPSET). */
  build(graphName = 'test'): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 7,
      producerName: 'dp-hyperlora-test',
      opsetImport: [{ domain: '', version: TEST_OPSET }],
      graph: {
        name: graphName, node: this.nodes, input: this.inputs, output: this.outputs, initializer: this.initializers,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** Options of the linear test encoder. */
export interface LinearEncoderOptions {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly embeddingDim: number;
  readonly inputName?: string;
  readonly outputName?: string;
  readonly seed?: number;
}

/**
 * A test encoder: images [N,C,H,W] → Flatten → MatMul [CHW,d] → Add bias → embeddings [N,d]. The batch dim is
 * symbolic, so any batch size runs.
 */
export function buildLinearEncoder(o: LinearEncoderOptions): Uint8Array {
  const inName = o.inputName ?? 'images';
  const outName = o.outputName ?? 'embeddings';
  const flat = o.channels * o.height * o.width;
  const seed = o.seed ?? 1;
  return new OnnxGraphBuilder()
    .input({ name: inName, shape: ['N', o.channels, o.height, o.width] })
    .output({ name: outName, shape: ['N', o.embeddingDim] })
    .floatInit('W', [flat, o.embeddingDim], seededWeights(flat * o.embeddingDim, seed, 1 / Math.sqrt(flat)))
    .floatInit('b', [o.embeddingDim], seededWeights(o.embeddingDim, seed + 1, 0.1))
    .node('Flatten', [inName], ['flat'], { axis: 1 })
    .node('MatMul', ['flat', 'W'], ['proj'])
    .node('Add', ['proj', 'b'], [outName])
    .build('encoder');
}

/** One named output tensor of a test hypernetwork. */
export interface NamedShape {
  readonly name: string;
  readonly shape: readonly number[];
}

/** Options of the tiling test hypernetwork. */
export interface TileHypernetOptions {
  readonly embeddingDim: number;
  readonly outputs: readonly NamedShape[];
  readonly inputName?: string;
  /** Width k of the shared hidden vector h = e·W + b, [1,k]. */
  readonly hiddenDim?: number;
  /** Multiplier applied to every output (keeps LoRA deltas small). */
  readonly scale?: number;
  readonly seed?: number;
}

/**
 * A test hypernetwork that stays tiny for any layout (sd15: 256 outputs, sdxl: 1,120): h = e·W + b ([1,k]) is
 * computed once, and each 2-D output [a,b] is Slice(Tile(h, [a, ceil(b/k)]))[:a, :b] · scale_i, where scale_i
 * differs per output. Every output therefore depends on the embedding, and the file grows only with the
 * number of outputs, not with their sizes.
 */
export function buildTileHypernet(o: TileHypernetOptions): Uint8Array {
  const inName = o.inputName ?? 'embedding';
  const k = o.hiddenDim ?? 8;
  const seed = o.seed ?? 2;
  const scale = o.scale ?? 0.01;
  const g = new OnnxGraphBuilder()
    .input({ name: inName, shape: [1, o.embeddingDim] })
    .floatInit('W', [o.embeddingDim, k], seededWeights(o.embeddingDim * k, seed, 1))
    .floatInit('b', [k], seededWeights(k, seed + 1, 0.5))
    .int64Init('axes01', [0, 1])
    .int64Init('zeros2', [0, 0])
    .node('MatMul', [inName, 'W'], ['hw'])
    .node('Add', ['hw', 'b'], ['h']);
  o.outputs.forEach((out, i) => {
    if (out.shape.length !== 2) throw new Error(`buildTileHypernet: output ${out.name} must be 2-D`);
    const [rows, cols] = out.shape as [number, number];
    const rep = `rep_${rows}_${cols}`;
    if (!g.hasInitializer(rep)) {
      g.int64Init(rep, [rows, Math.ceil(cols / k)]).int64Init(`end_${rows}_${cols}`, [rows, cols]);
    }
    g.floatInit(`s_${i}`, [], [scale * (1 + (i % 7) / 7)])
      .node('Tile', ['h', rep], [`t_${i}`])
      .node('Slice', [`t_${i}`, 'zeros2', `end_${rows}_${cols}`, 'axes01'], [`sl_${i}`])
      .node('Mul', [`sl_${i}`, `s_${i}`], [out.name])
      .output({ name: out.name, shape: [rows, cols] });
  });
  return g.build('hypernet');
}

/** One LoRA module of a test UNet: kohya key and the adapted linear layer's sizes. */
export interface UnetModule {
  readonly key: string;
  readonly in: number;
  readonly out: number;
}

/** Options of the tiny test UNet (the reference pack's sampler contract, docs/pack-format.md). */
export interface TinyUnetOptions {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** The LoRA-adapted layers; the first must have in = out = hidden width. */
  readonly modules: readonly UnetModule[];
  readonly seed?: number;
}

/**
 * A tiny ε-predictor following the sampler contract: x [B,C,H,W], t [B], lora_scale [1] and, per module K,
 * "K.lora_down.weight" [r,in] and "K.lora_up.weight" [out,r] → eps [B,C,H,W]. Every module is a hidden layer
 * h ← h·Wᵢ + lora_scale · (h·downᵀ)·upᵀ (all modules must be square with the same width), and t enters as
 * a small additive term so that the step matters. Not a good denoiser; only a faithful contract.
 */
export function buildTinyUnet(o: TinyUnetOptions): Uint8Array {
  const flat = o.channels * o.height * o.width;
  const width = o.modules[0]?.in ?? 8;
  const seed = o.seed ?? 3;
  const g = new OnnxGraphBuilder()
    .input({ name: 'x', shape: ['B', o.channels, o.height, o.width] })
    .input({ name: 't', shape: ['B'] })
    .input({ name: 'lora_scale', shape: [1] })
    .output({ name: 'eps', shape: ['B', o.channels, o.height, o.width] })
    .floatInit('Win', [flat, width], seededWeights(flat * width, seed, 1 / Math.sqrt(flat)))
    .floatInit('Wout', [width, flat], seededWeights(width * flat, seed + 1, 1 / Math.sqrt(width)))
    .floatInit('tscale', [], [1e-3])
    .int64Init('outShape', [-1, o.channels, o.height, o.width])
    .int64Init('unsq1', [1])
    .node('Flatten', ['x'], ['xf'], { axis: 1 })
    .node('MatMul', ['xf', 'Win'], ['h0'])
    .node('Unsqueeze', ['t', 'unsq1'], ['t2'])
    .node('Mul', ['t2', 'tscale'], ['tterm'])
    .node('Add', ['h0', 'tterm'], ['h0t']);
  let h = 'h0t';
  o.modules.forEach((m, i) => {
    if (m.in !== width || m.out !== width) throw new Error(`buildTinyUnet: module ${m.key} must be ${width}x${width}`);
    const down = `${m.key}.lora_down.weight`;
    const up = `${m.key}.lora_up.weight`;
    g.input({ name: down, shape: ['r', m.in] }).input({ name: up, shape: [m.out, 'r'] })
      .floatInit(`W_${i}`, [width, width], seededWeights(width * width, seed + 10 + i, 1 / Math.sqrt(width)))
      .node('MatMul', [h, `W_${i}`], [`base_${i}`])
      .node('Transpose', [down], [`downT_${i}`], { perm: [1, 0] })
      .node('Transpose', [up], [`upT_${i}`], { perm: [1, 0] })
      .node('MatMul', [h, `downT_${i}`], [`hd_${i}`])
      .node('MatMul', [`hd_${i}`, `upT_${i}`], [`hdu_${i}`])
      .node('Mul', [`hdu_${i}`, 'lora_scale'], [`delta_${i}`])
      .node('Add', [`base_${i}`, `delta_${i}`], [`h_${i}`]);
    h = `h_${i}`;
  });
  return g.node('MatMul', [h, 'Wout'], ['ef'])
    .node('Reshape', ['ef', 'outShape'], ['eps'])
    .build('unet');
}

/** Options of the tiny feature network (FID features plus class logits). */
export interface TinyFeaturesOptions {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly featureDim: number;
  readonly classes: number;
  readonly seed?: number;
}

/** A tiny feature network: images [N,C,H,W] → features [N,F] (Tanh of a linear map) → logits [N,classes]. */
export function buildTinyFeatures(o: TinyFeaturesOptions): Uint8Array {
  const flat = o.channels * o.height * o.width;
  const seed = o.seed ?? 4;
  return new OnnxGraphBuilder()
    .input({ name: 'images', shape: ['N', o.channels, o.height, o.width] })
    .output({ name: 'features', shape: ['N', o.featureDim] })
    .output({ name: 'logits', shape: ['N', o.classes] })
    .floatInit('Wf', [flat, o.featureDim], seededWeights(flat * o.featureDim, seed, 1 / Math.sqrt(flat)))
    .floatInit('Wc', [o.featureDim, o.classes], seededWeights(o.featureDim * o.classes, seed + 1, 1))
    .node('Flatten', ['images'], ['flat'], { axis: 1 })
    .node('MatMul', ['flat', 'Wf'], ['pre'])
    .node('Tanh', ['pre'], ['features'])
    .node('MatMul', ['features', 'Wc'], ['logits'])
    .build('features');
}

/** Options of the small convolutional test encoder. */
export interface ConvEncoderOptions {
  readonly channels: number;
  /** Square input size (28 for the reference world). */
  readonly size: number;
  readonly embeddingDim: number;
  /** Width w: convolutions 1→w/2→w→w→2w, like training/hyper.py's Encoder; default 32. */
  readonly width?: number;
  readonly seed?: number;
}

/**
 * A convolutional test encoder with the reference encoder's shape and cost (training/hyper.py: four 3×3 convs,
 * three of stride 2, then 128 → d), ReLU instead of SiLU. For benchmarks that need a realistic encoder when the
 * trained reference pack is absent.
 */
export function buildConvEncoder(o: ConvEncoderOptions): Uint8Array {
  const w = o.width ?? 32;
  const seed = o.seed ?? 11;
  const g = new OnnxGraphBuilder()
    .input({ name: 'images', shape: ['N', o.channels, o.size, o.size] })
    .output({ name: 'embeddings', shape: ['N', o.embeddingDim] });
  const convs: [number, number, number][] = [[o.channels, w / 2, 1], [w / 2, w, 2], [w, w, 2], [w, 2 * w, 2]];
  let x = 'images';
  let size = o.size;
  convs.forEach(([cin, cout, stride], i) => {
    g.floatInit(`cw${i}`, [cout, cin, 3, 3], seededWeights(cout * cin * 9, seed + i, 1 / Math.sqrt(cin * 9)))
      .floatInit(`cb${i}`, [cout], seededWeights(cout, seed + 20 + i, 0.05))
      .node('Conv', [x, `cw${i}`, `cb${i}`], [`c${i}`], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [stride, stride] })
      .node('Relu', [`c${i}`], [`r${i}`]);
    x = `r${i}`;
    size = Math.floor((size + 2 - 3) / stride) + 1;
  });
  const flat = 2 * w * size * size;
  return g.floatInit('f1', [flat, 128], seededWeights(flat * 128, seed + 40, 1 / Math.sqrt(flat)))
    .floatInit('b1', [128], seededWeights(128, seed + 41, 0.05))
    .floatInit('f2', [128, o.embeddingDim], seededWeights(128 * o.embeddingDim, seed + 42, 1 / Math.sqrt(128)))
    .floatInit('b2', [o.embeddingDim], seededWeights(o.embeddingDim, seed + 43, 0.05))
    .node('Flatten', [x], ['flat'], { axis: 1 })
    .node('Gemm', ['flat', 'f1', 'b1'], ['h1'])
    .node('Relu', ['h1'], ['h1r'])
    .node('Gemm', ['h1r', 'f2', 'b2'], ['embeddings'])
    .build('conv-encoder');
}
