// End-to-end: `dp-hyperlora demo` on the bundled reference pack and example set (spawns the built CLI; build
// first with `npx tsc -p tsconfig.build.json`). Few samples and steps keep it short; bench/demo.ts times the default.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { metadataFromHeader, parseSafetensors } from '../../src/lora/index.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'dp-hyperlora.js');
const BUNDLED = existsSync(join(ROOT, 'models', 'reference', 'manifest.json')) && existsSync(join(ROOT, 'demo-data', 'private-set'));

let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'dphl-demo-e2e-'));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

function demo(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'demo', ...args], { encoding: 'utf8', env: { ...process.env, DP_HYPERLORA_LOG: 'warn' }, timeout: 600_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('demo writes a DP LoRA, a side-by-side sample grid and a report, charging only its own ledger', { skip: BUNDLED ? false : 'models/reference or demo-data/private-set not present', timeout: 600_000 }, async () => {
  const out = join(work, 'demo');
  const r = demo(['--out', out, '--samples', '8', '--steps', '4', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`the demo uses its own ledger, ${join(out, 'ledger.sqlite').replace(/[.]/g, '\\.')}, not your real one`));
  const report = JSON.parse(r.stdout) as {
    outputs: Record<string, string>;
    personalisation: { privacy: { epsilonRequested: number; relation: string }; ledger: { charged: boolean }; pack: { id: string } };
    evaluation: {
      samplesPerSide: number; steps: number; strength: number; guidance: number; note?: string;
      fid?: { base: number; lora: number; ratio: number; classKlBase?: number; classKlLora?: number };
      classes?: { names: string[]; set: number[]; base: number[]; lora: number[]; klBase: number; klLora: number };
    };
  };
  assert.deepEqual(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')), report);
  assert.equal(report.personalisation.privacy.epsilonRequested, 1);
  assert.equal(report.personalisation.privacy.relation, 'add-remove');
  assert.ok(!('path' in report.personalisation.ledger) && !('timings' in report.personalisation), 'paths and timings are local only');
  assert.match(r.stderr, new RegExp(`^dp-hyperlora \\[local only, do not share\\]: \\d+ image\\(s\\) used; ledger ${join(out, 'ledger.sqlite').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.equal(report.personalisation.ledger.charged, true);
  assert.equal(report.personalisation.pack.id, 'reference-fmnist');
  const manifest = JSON.parse(await readFile(join(ROOT, 'models', 'reference', 'manifest.json'), 'utf8')) as { sampler?: { loraGuidance?: number } };
  assert.deepEqual([report.evaluation.samplesPerSide, report.evaluation.steps, report.evaluation.strength, report.evaluation.guidance],
    [8, 4, 1, manifest.sampler?.loraGuidance ?? 1], 'guidance defaults to the pack\'s sampler.loraGuidance (absent: 1)');
  if (report.evaluation.fid !== undefined) {
    assert.ok(report.evaluation.fid.base >= 0 && report.evaluation.fid.lora >= 0);
    assert.equal(report.evaluation.fid.ratio, report.evaluation.fid.lora / report.evaluation.fid.base);
    const c = report.evaluation.classes;
    assert.ok(c !== undefined, 'the reference pack has a classifier: the report carries the class mix');
    assert.deepEqual(c.names.slice(0, 2), ['T-shirt/top', 'Trouser']);
    for (const h of [c.set, c.base, c.lora]) {
      assert.equal(h.length, c.names.length);
      assert.ok(Math.abs(h.reduce((a, b) => a + b, 0) - 1) < 2e-3, `a histogram sums to 1: ${h.join(',')}`);
    }
    // 8 samples per side: every fraction is a multiple of 1/8; 128 set images: of 1/128.
    for (const v of [...c.base, ...c.lora]) assert.ok(Math.abs(v * 8 - Math.round(v * 8)) < 1e-3, String(v));
    assert.deepEqual([c.klBase, c.klLora], [report.evaluation.fid.classKlBase, report.evaluation.fid.classKlLora]);
  } else {
    assert.match(report.evaluation.note ?? '', /^FID not computed: pack reference-fmnist@.* has no features\.onnx\.$/);
  }
  const lora = parseSafetensors(await readFile(join(out, 'lora.safetensors')));
  assert.equal(metadataFromHeader(lora.metadata ?? {}).packId, 'reference-fmnist');
  // 8 samples per side: 3×3 cells of 28+1 px, a 6-px bar, ×3 upscaling.
  const png = await sharp(join(out, 'samples.png')).metadata();
  assert.deepEqual([png.format, png.width, png.height], ['png', 3 * (2 * (3 * 29 + 1) + 6), 3 * (3 * 29 + 1)]);

  const human = demo(['--out', join(work, 'demo-human'), '--samples', '8', '--steps', '4', '--strength', '2', '--guidance', '1.5']);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stderr, /128 image\(s\) used/, 'the human run shows the local lines');
  assert.doesNotMatch(human.stderr, /not an image|not used/, 'the bundled sample folder holds images only (its mixture file sits beside it)');
  assert.match(human.stdout, /^class\s+set\s+base\s+DP LoRA/m);
  assert.match(human.stdout, /^T-shirt\/top\s+\d+\.\d%\s+\d+\.\d%\s+\d+\.\d%/m);
  assert.match(human.stdout, /^KL\(set ‖ samples\): base \d\.\d{3}, with DP LoRA \d\.\d{3}/m);
  assert.match(human.stdout, /^LoRA side sampled at strength 2, LoRA guidance 1\.5 \(ε_base \+ w·\(ε_lora − ε_base\); free: post-processing\)$/m);
  const humanReport = JSON.parse(await readFile(join(work, 'demo-human', 'report.json'), 'utf8')) as typeof report;
  assert.deepEqual([humanReport.evaluation.strength, humanReport.evaluation.guidance], [2, 1.5]);
  const bad = demo(['--out', join(work, 'demo-bad'), '--strength', '0', '--json']);
  assert.equal(bad.status, 2);
  assert.match(bad.stdout, /--strength must be above 0/);
  for (const [w, message] of [['abc', /--guidance must be a number such as 1, 1\.5 or 2/], ['-1', /--guidance must be a number such as/], ['11', /--guidance must be at most 10/]] as const) {
    const badGuidance = demo(['--out', join(work, 'demo-bad-guidance'), '--guidance', w, '--json']);
    assert.equal(badGuidance.status, 2, `--guidance ${w}`);
    const err = (JSON.parse(badGuidance.stdout) as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'INVALID_ARGUMENT');
    assert.match(err.message, message);
  }
  assert.ok(!existsSync(join(work, 'demo-bad-guidance')), 'a bad --guidance fails before anything is written or charged');

  const again = demo(['--out', out, '--samples', '8', '--steps', '4', '--json']);
  assert.equal(again.status, 2);
  assert.equal((JSON.parse(again.stdout) as { error: { code: string } }).error.code, 'OUTPUT_EXISTS');
  const forced = demo(['--out', out, '--samples', '8', '--steps', '4', '--json', '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal((JSON.parse(forced.stdout) as typeof report).personalisation.ledger.charged, false, 'a rerun reuses release 1 for free');
});
