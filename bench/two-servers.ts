/**
 * Batch throughput with two ComfyUI servers against one: the full `batch` path (planning, scheduling,
 * /ws tracking, downloads, manifest) on test servers that simulate per-node execution time, measured side
 * by side in one run. Target: two servers ≥ 1.8× the throughput of one.
 *
 *   node --import tsx bench/two-servers.ts [jobs] [nodeMs]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseVary } from '../src/comfy/batch-plan.js';
import { runBatch } from '../src/comfy/batch-run.js';
import type { ApiPrompt } from '../src/comfy/workflow-api.js';
import { startFakeComfy } from '../test/comfy/fake-comfy-server.js';

const jobs = Number(process.argv[2] ?? 40);
const nodeMs = Number(process.argv[3] ?? 40);

const base: ApiPrompt = {
  '1': { class_type: 'LoadImage', inputs: { image: 'example.png' } },
  '2': { class_type: 'ImageScale', inputs: { image: ['1', 0], upscale_method: 'nearest-exact', width: 8, height: 8, crop: 'disabled' } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'bench' } },
};

async function throughput(servers: number, offset: number): Promise<number> {
  const fakes = await Promise.all(Array.from({ length: servers }, () => startFakeComfy({ nodeMs })));
  const out = mkdtempSync(join(tmpdir(), 'bench-two-'));
  try {
    const t0 = process.hrtime.bigint();
    const s = await runBatch({
      servers: fakes.map((f) => f.url), workflow: { format: 'api', prompt: base }, outDir: out, set: {},
      vary: [parseVary(`2.inputs.width=${offset + 1}..${offset + jobs}`)], concurrency: 2, maxAttempts: 1,
    }, () => undefined);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (s.succeeded !== jobs) throw new Error(`only ${s.succeeded}/${jobs} jobs succeeded`);
    return jobs / seconds;
  } finally {
    await Promise.all(fakes.map((f) => f.close()));
    rmSync(out, { recursive: true, force: true });
  }
}

const one = await throughput(1, 0);
const two = await throughput(2, 10_000);
process.stdout.write(`jobs: ${jobs}, simulated work ${nodeMs} ms per node (3 nodes per job), concurrency 2 per server\n`);
process.stdout.write(`1 server: ${one.toFixed(2)} jobs/s; 2 servers: ${two.toFixed(2)} jobs/s\n`);
process.stdout.write(`2 servers / 1 server: ${(two / one).toFixed(2)}x (target >= 1.8x)\n`);
