/**
 * Execution providers: which ones start here, and whether the encoder and the hypernetwork give the same outputs
 * on each as on the CPU, in one run:
 *
 *   node --import tsx bench/provider-parity.ts [--pack DIR] [--batch 16] [--runs 3]
 *
 * For each of cpu, cuda and webgpu it opens the pack's encoder and hypernetwork on that provider alone (a
 * provider that cannot start is listed with onnxruntime's own reason), runs the encoder on one seeded batch and
 * the hypernetwork on one seeded unit embedding, and compares every output with the CPU's. Tolerance, stated up
 * front: |gpu − cpu| ≤ 1e-3 + 1e-2·|cpu| element-wise (float32 kernels differ in summation order, and CUDA may
 * use TF32 matrix products). Also prints the encoder's median time per batch on each provider and its ratio to
 * the CPU's. `--pack bench/out/vit-b16-pack` (training/vit_bench_pack.py) gives the ViT-B/16 case.
 */
import * as ort from 'onnxruntime-node';
import { bundledReferencePackDir } from '../src/pack/bundled.js';
import { loadPack } from '../src/pack/manifest.js';
import { SessionFactory, type UsedProvider } from '../src/pack/sessions.js';

const ATOL = 1e-3;
const RTOL = 1e-2;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Outputs { readonly tensors: Record<string, Float32Array>; readonly encoderMs: number }

async function runOn(provider: UsedProvider, packDir: string, batch: number, runs: number): Promise<Outputs> {
  const pack = await loadPack(packDir);
  const m = pack.manifest;
  const f = new SessionFactory(provider);
  const enc = await f.open(pack.filePath(m.encoder.file), m.encoder.file);
  const hyp = await f.open(pack.filePath(m.hypernet.file), m.hypernet.file);
  const per = m.encoder.channels * m.encoder.height * m.encoder.width;
  const images = new Float32Array(batch * per).map((_, i) => Math.sin(i * 0.37));
  const feeds = { [m.encoder.inputName]: new ort.Tensor('float32', images, [batch, m.encoder.channels, m.encoder.height, m.encoder.width]) };
  const times: number[] = [];
  let emb: Float32Array = new Float32Array(0);
  for (let r = 0; r <= runs; r++) {
    const t0 = performance.now();
    const out = await enc.run(feeds, [m.encoder.outputName]);
    if (r > 0) times.push(performance.now() - t0); // the first run warms up (kernel compilation on GPUs)
    emb = out[m.encoder.outputName]?.data as Float32Array;
  }
  const e = new Float32Array(m.embeddingDim).map((_, i) => Math.cos(i));
  const norm = Math.hypot(...e);
  const hout = await hyp.run({ [m.hypernet.inputName]: new ort.Tensor('float32', e.map((x) => x / norm), [1, m.embeddingDim]) });
  const tensors: Record<string, Float32Array> = { [`encoder:${m.encoder.outputName}`]: emb };
  for (const [k, v] of Object.entries(hout)) tensors[`hypernet:${k}`] = v.data as Float32Array;
  await enc.release();
  await hyp.release();
  times.sort((a, b) => a - b);
  return { tensors, encoderMs: times[Math.floor(times.length / 2)] ?? Number.NaN };
}

const packDir = arg('--pack') ?? bundledReferencePackDir();
const batch = Number(arg('--batch') ?? 16);
const runs = Number(arg('--runs') ?? 3);
process.stdout.write(`# pack ${packDir}; encoder batch ${batch}; tolerance |x − cpu| ≤ ${ATOL} + ${RTOL}·|cpu|\n`);
const cpu = await runOn('cpu', packDir, batch, runs);
process.stdout.write(`cpu: runs; encoder ${cpu.encoderMs.toFixed(1)} ms per batch (reference)\n`);
for (const provider of ['cuda', 'webgpu'] as const) {
  let out: Outputs;
  try {
    out = await runOn(provider, packDir, batch, runs);
  } catch (e) {
    process.stdout.write(`${provider}: cannot run here: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}\n`);
    continue;
  }
  let worst = 0;
  let worstName = '';
  let within = true;
  for (const [name, ref] of Object.entries(cpu.tensors)) {
    const got = out.tensors[name] as Float32Array;
    for (let i = 0; i < ref.length; i++) {
      const d = Math.abs((got[i] as number) - (ref[i] as number));
      if (d > ATOL + RTOL * Math.abs(ref[i] as number)) within = false;
      if (d > worst) { worst = d; worstName = name; }
    }
  }
  process.stdout.write(`${provider}: runs; parity ${within ? 'within' : 'OUTSIDE'} tolerance (largest |difference| ${worst.toExponential(2)} in ${worstName}); ` +
    `encoder ${out.encoderMs.toFixed(1)} ms per batch, ${(cpu.encoderMs / out.encoderMs).toFixed(2)}× the CPU's speed\n`);
}
