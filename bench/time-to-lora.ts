/**
 * Time-to-LoRA and peak memory against n, side by side in one run:
 *
 *   node --import tsx bench/time-to-lora.ts [--sizes 128,1024,10000] [--pack DIR] [--image-size PX] [--rgb]
 *
 * The realistic-encoder case: `/usr/bin/python3 -m training.vit_bench_pack --out bench/out/vit-b16-pack`, then
 * `--pack bench/out/vit-b16-pack --image-size 224 --rgb` (a random ViT-B/16 at 224 px; never committed).
 *
 * For each n, a fresh child process runs the whole personalisation (makeDpLora: list, decode, identify, resize,
 * encode, clip, release with noise, hypernetwork, LoRA bytes) on n 28×28 grey PNGs, and then, in the same process,
 * the encoder alone on n ready-made inputs in batches of the same size. It prints time-to-LoRA, the encoder-only
 * time, the share of everything beyond the encoder's own forward passes ((time-to-LoRA − encoder-only) /
 * encoder-only; the target is ≤ 25% at n = 1024), and the child's peak RSS (flat in n when memory is bounded).
 * Times are given as wall clock and as CPU time of the process (all threads): on a machine shared with other work
 * the wall clock swings with the load, while CPU time measures the work itself.
 *
 * The pack is models/reference when present (the real encoder), else a test pack whose encoder has the
 * reference encoder's architecture and cost (test/helpers/onnx-builder.ts buildConvEncoder).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ADD_REMOVE, delta, epsilon } from '../src/dp/index.js';
import { openLedger } from '../src/dp/ledger.js';
import { bundledReferencePackDir } from '../src/pack/bundled.js';
import { loadPack } from '../src/pack/manifest.js';
import { makeDpLora } from '../src/pack/personalise.js';
import { SessionFactory } from '../src/pack/sessions.js';
import { writeTestImages, writeTestPack } from '../test/helpers/test-packs.js';

interface ChildResult {
  n: number;
  timeToLoraMs: number;
  /** CPU time (user + system, all threads of the process) of the personalisation. */
  timeToLoraCpuMs: number;
  embedMs: number;
  encoderOnlyMs: number;
  encoderOnlyCpuMs: number;
  peakRssMb: number;
  /** RSS when a quarter and when all of the images had been embedded (flat within a run when memory is bounded). */
  rssQuarterMb: number;
  rssEndMb: number;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Child mode: one personalisation on `dir`, then the encoder alone on as many inputs; prints one JSON line. */
async function child(dir: string, packDir: string, n: number): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'dphl-bench-ledger-'));
  const ledger = openLedger(join(work, 'ledger.sqlite'));
  const pack = await loadPack(packDir);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const rss = { quarter: 0, end: 0 };
  const r = await makeDpLora({
    pack, images: { kind: 'folder', dir }, epsilon: epsilon(1), delta: delta(1e-5), relation: ADD_REMOVE, releaseNumber: 1, ledger, provider: 'cpu',
    local: {
      onProgress: (done) => {
        const now = process.memoryUsage.rss() / 2 ** 20;
        if (rss.quarter === 0 && done >= n / 4) rss.quarter = now;
        rss.end = now;
      },
    },
  });
  const timeToLoraMs = performance.now() - t0;
  const timeToLoraCpuMs = cpuMs(c0);
  ledger.close();
  await rm(work, { recursive: true, force: true });
  const m = pack.manifest;
  const session = await new SessionFactory('cpu').open(pack.filePath(m.encoder.file), m.encoder.file);
  const per = m.encoder.channels * m.encoder.height * m.encoder.width;
  const batch = new Float32Array(m.encoder.maxBatch * per).map((_, i) => Math.sin(i));
  const c1 = process.cpuUsage();
  const t1 = performance.now();
  for (let done = 0; done < n; done += m.encoder.maxBatch) {
    const b = Math.min(m.encoder.maxBatch, n - done);
    await session.run({ [m.encoder.inputName]: new ort.Tensor('float32', batch.subarray(0, b * per), [b, m.encoder.channels, m.encoder.height, m.encoder.width]) });
  }
  const encoderOnlyMs = performance.now() - t1;
  const encoderOnlyCpuMs = cpuMs(c1);
  const result: ChildResult = {
    n, timeToLoraMs, timeToLoraCpuMs, embedMs: r.report.local.timings.embedMs, encoderOnlyMs, encoderOnlyCpuMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024, rssQuarterMb: rss.quarter, rssEndMb: rss.end,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function parent(): Promise<void> {
  const sizes = (arg('--sizes') ?? '128,1024,10000').split(',').map(Number);
  const work = await mkdtemp(join(tmpdir(), 'dphl-bench-'));
  try {
    let packDir = arg('--pack') ?? bundledReferencePackDir();
    let packNote = `pack ${packDir}`;
    if (!existsSync(join(packDir, 'manifest.json'))) {
      packDir = (await writeTestPack({ target: 'reference', dir: join(work, 'pack'), encoder: 'conv', embeddingDim: 16, maxBatch: 64 })).dir;
      packNote = 'test pack with the reference encoder architecture (models/reference not present)';
    }
    const max = Math.max(...sizes);
    const all = join(work, 'images');
    const tw = performance.now();
    const px = Number(arg('--image-size') ?? 28);
    const rgb = process.argv.includes('--rgb');
    await writeTestImages(all, { count: max, width: px, height: px, channels: rgb ? 3 : 1 });
    process.stdout.write(`# ${packNote}; wrote ${max} ${px}×${px} ${rgb ? 'RGB' : 'grey'} PNGs in ${((performance.now() - tw) / 1000).toFixed(1)} s\n`);
    const names = (await readdir(all)).sort();
    const rows: ChildResult[] = [];
    for (const n of sizes) {
      const dir = n === max ? all : join(work, `n${n}`);
      if (n !== max) {
        await mkdir(dir);
        for (const name of names.slice(0, n)) await link(join(all, name), join(dir, name));
      }
      const r = spawnSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--child', dir, packDir, String(n)],
        { encoding: 'utf8', env: { ...process.env, DP_HYPERLORA_LOG: 'warn' }, maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`child for n=${n} failed: ${r.stderr}`);
      rows.push(JSON.parse(r.stdout.trim().split('\n').pop() as string) as ChildResult);
    }
    process.stdout.write(`# load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} cores; wall times suffer from other load, CPU times much less\n`);
    process.stdout.write('      n | time-to-LoRA wall / CPU | encoder-only wall / CPU | beyond encoder wall / CPU | wall per image | peak RSS | RSS at 1/4 → end of embedding\n');
    for (const r of rows) {
      const extraWall = (r.timeToLoraMs - r.encoderOnlyMs) / r.encoderOnlyMs;
      const extraCpu = (r.timeToLoraCpuMs - r.encoderOnlyCpuMs) / r.encoderOnlyCpuMs;
      process.stdout.write(`${String(r.n).padStart(7)} | ${(r.timeToLoraMs / 1000).toFixed(2).padStart(8)} s / ${(r.timeToLoraCpuMs / 1000).toFixed(2).padStart(6)} s | ` +
        `${(r.encoderOnlyMs / 1000).toFixed(2).padStart(8)} s / ${(r.encoderOnlyCpuMs / 1000).toFixed(2).padStart(6)} s | ` +
        `${(100 * extraWall).toFixed(0).padStart(10)} % / ${(100 * extraCpu).toFixed(0).padStart(5)} % | ${(r.timeToLoraMs / r.n).toFixed(2).padStart(11)} ms | ${r.peakRssMb.toFixed(0).padStart(5)} MB | ` +
        `${r.rssQuarterMb.toFixed(0)} → ${r.rssEndMb.toFixed(0)} MB\n`);
    }
    const first = rows[0] as ChildResult;
    const last = rows[rows.length - 1] as ChildResult;
    process.stdout.write(`peak RSS ratio n=${last.n} / n=${first.n}: ${(last.peakRssMb / first.peakRssMb).toFixed(3)}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv.includes('--child')) {
  const i = process.argv.indexOf('--child');
  await child(process.argv[i + 1] as string, process.argv[i + 2] as string, Number(process.argv[i + 3]));
} else {
  await parent();
}
