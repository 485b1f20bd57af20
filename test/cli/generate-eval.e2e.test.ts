// End-to-end for `eval` (the research diagnostic beside generate): spawns the built CLI on a test reference pack
// (tiny UNet + feature network) — build first with `npx tsc -p tsconfig.build.json`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../../src/dp/ledger.js';
import { writeTestImages, writeTestPack, type TestPack } from '../helpers/test-packs.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'dp-hyperlora.js');

let work: string;
let pack: TestPack;
let images: string;
let reference: string;
let defaultLedger: string;

function cli(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8', env: { ...process.env, DP_HYPERLORA_LOG: 'warn', DP_HYPERLORA_LEDGER: defaultLedger },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'src', 'cli', 'eval.js')), 'build first: npx tsc -p tsconfig.build.json');
  work = await mkdtemp(join(tmpdir(), 'dphl-eval-e2e-'));
  pack = await writeTestPack({ target: 'reference', dir: join(work, 'pack') });
  images = join(work, 'private');
  reference = join(work, 'reference');
  await writeTestImages(images, { count: 30, width: 28, height: 28, channels: 1, seed: 1 });
  await writeTestImages(reference, { count: 20, width: 28, height: 28, channels: 1, seed: 2 });
  defaultLedger = join(work, 'default-ledger.sqlite');
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

interface EvalJson {
  notice: string;
  ledgerCharged: string;
  referenceImages: number;
  samples: number;
  steps: number;
  strength: number;
  guidance: number;
  base: { fid: number; classKl: number; classHistogram: number[] };
  lora: { fid: number; classKl: number };
  personalisation: { privacy: { epsilon: number } };
}

test('eval prints FID and class KL for base and LoRA, labelled NOT PRIVATE, and spends no real budget', () => {
  const r = cli(['eval', '--images', images, '--reference', reference, '--pack', pack.dir, '--samples', '12', '--steps', '4', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as EvalJson;
  assert.match(out.notice, /^NOT PRIVATE: /);
  assert.equal(out.ledgerCharged, 'throwaway ledger (nothing spent)');
  assert.deepEqual([out.referenceImages, out.samples, out.steps, out.strength, out.guidance], [20, 12, 4, 1, 1]);
  for (const s of [out.base, out.lora]) assert.ok(Number.isFinite(s.fid) && s.fid >= 0 && Number.isFinite(s.classKl) && s.classKl >= 0);
  assert.equal(out.base.classHistogram.length, 10);
  assert.ok(Math.abs(out.base.classHistogram.reduce((a, v) => a + v, 0) - 1) < 1e-9);
  assert.ok(!existsSync(defaultLedger), 'the default ledger was not touched');
  const human = cli(['eval', '--images', images, '--reference', reference, '--pack', pack.dir, '--samples', '4', '--steps', '2']);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /^NOT PRIVATE: /);
  assert.match(human.stdout, /^ {2}with DP LoRA: {4}FID \d+\.\d{3}, class KL \d+\.\d{4} \(strength 1, LoRA guidance 1\)$/m);
});

test('eval --guidance: the weight reaches the LoRA samples and the report; a bad value is refused before any release', () => {
  const args = ['eval', '--images', images, '--reference', reference, '--pack', pack.dir, '--samples', '6', '--steps', '3', '--json'];
  // One ledger for the three runs: the second and third reuse the first's stored release, so the LoRA is the same.
  const shared = ['--charge-ledger', '--ledger', join(work, 'guidance.sqlite')];
  const [o1, o2, o0] = ['1', '2.5', '0'].map((w) => {
    const r = cli([...args, ...shared, '--guidance', w]);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as EvalJson;
  }) as [EvalJson, EvalJson, EvalJson];
  assert.deepEqual([o1.guidance, o2.guidance, o0.guidance], [1, 2.5, 0]);
  assert.ok(o1.base.fid === o2.base.fid && o2.base.fid === o0.base.fid, 'the base side does not depend on guidance');
  assert.notEqual(o1.lora.fid, o2.lora.fid, 'guidance changes the LoRA samples of the same LoRA');
  assert.deepEqual(o0.lora, o0.base, 'w = 0: the LoRA side is the base model');
  for (const [w, message] of [['abc', /--guidance must be a number such as 1, 1\.5 or 2/], ['12', /--guidance must be at most 10/]] as const) {
    const bad = cli([...args, '--guidance', w, '--charge-ledger', '--ledger', join(work, `bad-${w}.sqlite`)]);
    assert.equal(bad.status, 2, `--guidance ${w}`);
    const err = (JSON.parse(bad.stdout) as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'INVALID_ARGUMENT');
    assert.match(err.message, message);
    assert.ok(!existsSync(join(work, `bad-${w}.sqlite`)), 'nothing was charged');
  }
});

test('eval --charge-ledger charges the named ledger; --ledger alone is refused', () => {
  const ledgerPath = join(work, 'real.sqlite');
  let r = cli(['eval', '--images', images, '--reference', reference, '--pack', pack.dir, '--samples', '4', '--steps', '2', '--ledger', ledgerPath, '--json']);
  assert.equal(r.status, 2);
  assert.match((JSON.parse(r.stdout) as { error: { message: string } }).error.message, /--ledger has no effect without --charge-ledger/);
  r = cli(['eval', '--images', images, '--reference', reference, '--pack', pack.dir, '--samples', '4', '--steps', '2', '--ledger', ledgerPath, '--charge-ledger', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as EvalJson).ledgerCharged, 'real ledger');
  const ledger = openLedger(ledgerPath, { create: false });
  try {
    // One add-remove release is two ledger entries: the noisy count, then the sum (docs/privacy.md, "Stopping early").
    assert.deepEqual(ledger.list().map((r) => [(r.params as { part?: string }).part, r.releaseNumber]), [['noisy-count', 1], ['sum', 1]]);
  } finally {
    ledger.close();
  }
});

test('eval on a pack without a sampler is PACK_INCOMPATIBLE', async () => {
  const sd = await writeTestPack({ target: 'sd15', dir: join(work, 'sd15') });
  const r = cli(['eval', '--images', images, '--reference', reference, '--pack', sd.dir, '--json']);
  assert.equal(r.status, 5);
  const e = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
  assert.equal(e.code, 'PACK_INCOMPATIBLE');
  assert.match(e.message, /has no sampler \(unet\.onnx\)/);
});
