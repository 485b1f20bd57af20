// End-to-end: spawns the built CLI (`npx tsc -p tsconfig.build.json` first) on test packs and generated images.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../../src/dp/ledger.js';
import { metadataFromHeader, parseSafetensors } from '../../src/lora/index.js';
import { writeTestImages, writeTestPack, type TestPack } from '../helpers/test-packs.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'dp-hyperlora.js');

interface Run { status: number | null; stdout: string; stderr: string }

function cli(args: readonly string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, DP_HYPERLORA_LOG: 'warn' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let work: string;
let pack: TestPack;
let images: string;
let imageNames: string[];

before(async () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'src', 'cli', 'generate.js')), 'build first: npx tsc -p tsconfig.build.json');
  work = await mkdtemp(join(tmpdir(), 'dphl-gen-e2e-'));
  pack = await writeTestPack({ target: 'reference', dir: join(work, 'pack') });
  images = join(work, 'private');
  imageNames = await writeTestImages(images, { count: 40, width: 28, height: 28, channels: 1, prefix: 'alice-secret-' });
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

function generate(extra: readonly string[], out: string, ledger: string): Run {
  return cli(['generate', '--images', images, '--pack', pack.dir, '--epsilon', '1', '--delta', '1e-5', '--ledger', ledger, '--out', out, '--json', ...extra]);
}

interface Report {
  result: {
    privacy: Record<string, unknown> & { epsilon: number; sigmaSum: number; noise: { smallestFittingN: number } };
    ledger: { charged: boolean; epsilonCharged: number; remaining: { epsilon: number }; releaseId: number };
    provider: { requested: string; used: string };
    warnings: string[];
  };
}

/** Every number and every number inside a string, anywhere in a JSON value. */
function numbersIn(value: unknown, out: number[] = []): number[] {
  if (typeof value === 'number') out.push(value);
  else if (typeof value === 'string') for (const m of value.matchAll(/\d+(?:\.\d+)?(?:e[-+]?\d+)?/gi)) out.push(Number(m[0]));
  else if (Array.isArray(value)) for (const v of value) numbersIn(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) numbersIn(v, out);
  return out;
}

/** The stderr lines that are not marked local only (they must be as public as the JSON). */
function publicStderr(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !l.startsWith('dp-hyperlora [local only, do not share]: '));
}

test('generate writes a LoRA that parses, with DP metadata, and a report with the public facts only', async () => {
  const out = join(work, 'a.safetensors');
  const r = generate([], out, join(work, 'l1.sqlite'));
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  const p = report.result.privacy;
  assert.equal(p.epsilonRequested, 1);
  assert.ok(p.epsilon <= 1 && p.epsilon > 0.99);
  assert.equal(p.delta, 1e-5);
  assert.equal(p.relation, 'add-remove');
  assert.equal(p.countTreatment, 'noisy-count');
  assert.equal(p.clipNorm, 1);
  assert.ok(p.sigmaSum > 0 && typeof p.sigmaCount === 'number' && typeof p.noisyCount === 'number');
  assert.equal(report.result.ledger.charged, true);
  assert.ok(Math.abs(report.result.ledger.epsilonCharged - p.epsilon) < 1e-9);
  assert.deepEqual([report.result.provider.requested, report.result.provider.used], ['auto', 'cpu']);
  // Timings and exact counts are the report's LOCAL part: on stderr, marked, never in the JSON.
  assert.ok(!('timings' in report.result) && !('files' in report.result) && !('path' in report.result.ledger));
  assert.match(r.stderr, /^dp-hyperlora \[local only, do not share\]: 40 image\(s\) used; ledger /m);
  assert.match(r.stderr, /^dp-hyperlora \[local only, do not share\]: embedding \d+\.\d+ s .*; total \d+\.\d+ s$/m);
  const onDisk = JSON.parse(await readFile(join(work, 'a.report.json'), 'utf8')) as Report;
  assert.deepEqual(onDisk, report);
  const bytes = await readFile(out);
  const st = parseSafetensors(bytes);
  assert.equal(st.tensors.length, 2 * 3);
  const meta = metadataFromHeader(st.metadata ?? {});
  assert.equal(meta.relation, 'add-remove');
  assert.equal(meta.packId, 'test-reference');
  assert.equal(meta.releaseNumber, 1);
  // Nothing private: no image name in the LoRA, the report or stdout, and the exact n (40) is not a report field.
  const text = `${bytes.toString('latin1')}\n${r.stdout}`;
  for (const name of imageNames) assert.ok(!text.includes(name));
  assert.ok(!text.includes('alice-secret'));
  assert.ok(!('n' in p) && !('declaredN' in p));
  // ...nor the VALUE of any field, string or public stderr line, in the report or in the LoRA's metadata.
  // The noisy count is a DP output and lands exactly on n about 3% of the time (σ_count ≈ 12.8): its own printed
  // values are left out of the scan, or the test would flake on a correct release.
  const noisyForms = new Set([p.noisyCount, Math.round(p.noisyCount)]);
  const values = numbersIn([report, st.metadata ?? {}, publicStderr(r.stderr)]).filter((v) => !noisyForms.has(v));
  assert.ok(values.length > 10, 'the scan saw the report\'s numbers');
  assert.ok(!values.includes(40), `the exact n = 40 appears among the public values: ${JSON.stringify(values)}`);
});

test('a rerun of the same release charges nothing and gives the same LoRA; a bumped --release charges again', async () => {
  const ledger = join(work, 'l2.sqlite');
  const out = join(work, 'b.safetensors');
  const first = generate([], out, ledger);
  assert.equal(first.status, 0, first.stderr);
  const firstBytes = await readFile(out);
  const again = generate(['--force'], out, ledger);
  assert.equal(again.status, 0, again.stderr);
  const r2 = JSON.parse(again.stdout) as Report;
  assert.equal(r2.result.ledger.charged, false);
  assert.equal(r2.result.ledger.epsilonCharged, 0);
  assert.deepEqual(await readFile(out), firstBytes);
  const bumped = generate(['--force', '--release', '2'], out, ledger);
  assert.equal(bumped.status, 0, bumped.stderr);
  const r3 = JSON.parse(bumped.stdout) as Report;
  assert.equal(r3.result.ledger.charged, true);
  assert.ok(r3.result.ledger.remaining.epsilon < r2.result.ledger.remaining.epsilon);
  assert.notDeepEqual(await readFile(out), firstBytes);
});

test('an exhausted budget is refused (exit 3) and nothing is written', async () => {
  const ledger = join(work, 'l3.sqlite');
  openLedger(ledger, { initialBudget: { epsilon: 1.2, delta: 1e-5 } }).close();
  const ok = generate([], join(work, 'c1.safetensors'), ledger);
  assert.equal(ok.status, 0, ok.stderr);
  const out = join(work, 'c2.safetensors');
  const r = generate(['--release', '2'], out, ledger);
  assert.equal(r.status, 3, r.stderr);
  const err = JSON.parse(r.stdout) as { error: { code: string; message: string } };
  assert.equal(err.error.code, 'BUDGET_EXHAUSTED');
  assert.ok(!existsSync(out) && !existsSync(join(work, 'c2.report.json')));
});

test('an existing output is refused without --force, before any budget is spent', async () => {
  const ledger = join(work, 'l4.sqlite');
  const out = join(work, 'd.safetensors');
  await writeFile(out, 'keep me');
  const r = generate([], out, ledger);
  assert.equal(r.status, 2);
  const err = JSON.parse(r.stdout) as { error: { code: string; message: string } };
  assert.equal(err.error.code, 'OUTPUT_EXISTS');
  assert.equal(err.error.message, `${out} already exists; choose another path or pass --force to replace it.`);
  assert.equal(await readFile(out, 'utf8'), 'keep me');
  assert.ok(!existsSync(ledger), 'the ledger was not even opened');
});

test('an empty folder, a folder without images, and a wrong pack are refused with their codes', async () => {
  const empty = join(work, 'empty');
  await mkdir(empty);
  const base = ['--pack', pack.dir, '--epsilon', '1', '--delta', '1e-5', '--ledger', join(work, 'l5.sqlite'), '--json'];
  let r = cli(['generate', '--images', empty, '--out', join(work, 'e.safetensors'), ...base]);
  assert.equal(r.status, 2);
  assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'IMAGES_EMPTY');

  const noImages = join(work, 'noimages');
  await mkdir(noImages);
  await writeFile(join(noImages, 'bob-secret-notes.txt'), 'text');
  r = cli(['generate', '--images', noImages, '--out', join(work, 'e.safetensors'), ...base]);
  assert.equal(r.status, 2);
  const e0 = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
  assert.equal(e0.code, 'IMAGES_EMPTY');
  assert.ok(!/\d/.test(e0.message) && !e0.message.includes('bob-secret'), `no count and no name of what the folder holds: ${e0.message}`);
  assert.equal(e0.message, (JSON.parse(cli(['generate', '--images', empty, '--out', join(work, 'e.safetensors'), ...base]).stdout) as { error: { message: string } }).error.message,
    'the same text as for an empty folder');
  assert.match(r.stderr, /^dp-hyperlora \[local only, do not share\]: not an image file by its name \(not used\): bob-secret-notes\.txt$/m, 'the local terminal names it');
  await writeFile(join(noImages, 'bob-secret-broken.png'), 'not a png');
  r = cli(['generate', '--images', noImages, '--out', join(work, 'e.safetensors'), ...base]);
  assert.equal(r.status, 2);
  const e1 = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
  assert.equal(e1.code, 'IMAGE_UNREADABLE');
  assert.ok(!e1.message.includes('bob-secret'), 'the JSON error carries no file name');
  assert.match(r.stderr, /not a readable image \(not used\): bob-secret-broken\.png/, 'the local terminal names the file');
  assert.match(r.stderr, /not an image file by its name \(not used\): bob-secret-notes\.txt/);
  r = cli(['generate', '--images', noImages, '--out', join(work, 'e.safetensors'), '--on-unreadable', 'skip', ...base]);
  assert.equal(r.status, 2);
  const e2 = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
  assert.equal(e2.code, 'IMAGES_EMPTY');
  // No count of unreadable files in the error (errors reach ComfyUI): the names and counts are local only.
  assert.match(e2.message, /^the private set holds no readable images; /);
  assert.ok(!/\d/.test(e2.message), e2.message);

  r = cli(['generate', '--images', images, '--out', join(work, 'e.safetensors'), ...base.map((a) => (a === pack.dir ? images : a))]);
  assert.equal(r.status, 5);
  assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'PACK_NOT_FOUND');
  assert.ok(!existsSync(join(work, 'e.safetensors')));
});

test('skipping an unreadable file still makes the LoRA and counts (not names) the file in the report', async () => {
  const mixed = join(work, 'mixed');
  await writeTestImages(mixed, { count: 20, width: 28, height: 28, channels: 3, format: 'jpeg', prefix: 'carol-secret-' });
  await writeFile(join(mixed, 'carol-secret-broken.png'), Buffer.from('not a png'));
  const out = join(work, 'f.safetensors');
  const r = cli(['generate', '--images', mixed, '--pack', pack.dir, '--epsilon', '2', '--delta', '1e-5', '--ledger', join(work, 'l6.sqlite'),
    '--out', out, '--on-unreadable', 'skip', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as Report;
  assert.ok(!('files' in rep.result), 'counts of files not used are local only');
  assert.match(r.stderr, /^dp-hyperlora \[local only, do not share\]: not used: 1 unreadable$/m);
  assert.ok(!r.stdout.includes('carol-secret'));
  assert.match(r.stderr, /carol-secret-broken\.png/);
});

test('--on-unreadable fail names every unreadable file on the local terminal; the error is one text for 1 and for 3 such files', async () => {
  const run = async (bad: number): Promise<{ message: string; stderr: string }> => {
    const dir = join(work, `bad-${bad}`);
    await writeTestImages(dir, { count: 12, width: 28, height: 28, channels: 3, prefix: 'erin-secret-' });
    for (let i = 0; i < bad; i++) await writeFile(join(dir, `erin-secret-broken-${i}.png`), Buffer.from('not a png'));
    const ledger = join(work, `l-bad-${bad}.sqlite`);
    const r = cli(['generate', '--images', dir, '--pack', pack.dir, '--epsilon', '2', '--delta', '1e-5', '--ledger', ledger,
      '--out', join(work, `bad-${bad}.safetensors`), '--on-unreadable', 'fail', '--json']);
    assert.equal(r.status, 2, r.stderr);
    const e = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
    assert.equal(e.code, 'IMAGE_UNREADABLE');
    assert.ok(!r.stdout.includes('erin-secret'), 'the JSON output names no file');
    assert.ok(!existsSync(join(work, `bad-${bad}.safetensors`)));
    return { message: e.message, stderr: r.stderr };
  };
  const one = await run(1);
  const three = await run(3);
  assert.equal(one.message, three.message, 'the error reaches ComfyUI and --json: it may not depend on how many files failed');
  assert.ok(!/\d/.test(one.message), one.message);
  for (let i = 0; i < 3; i++) {
    assert.match(three.stderr, new RegExp(`^dp-hyperlora \\[local only, do not share\\]: not a readable image \\(not used\\): erin-secret-broken-${i}\\.png `, 'm'),
      `every unreadable file is named locally, not only the first:\n${three.stderr}`);
  }
  for (const line of three.stderr.split('\n').filter((l) => l.includes('erin-secret'))) assert.ok(line.startsWith('dp-hyperlora [local only, do not share]: '), line);
});

test('n too small for epsilon gives a warning naming the smallest n that fits', async () => {
  const few = join(work, 'few');
  await writeTestImages(few, { count: 3, width: 28, height: 28, channels: 1 });
  const r = cli(['generate', '--images', few, '--pack', pack.dir, '--epsilon', '0.2', '--delta', '1e-5', '--relation', 'replace-one', '--n', '3',
    '--ledger', join(work, 'l7.sqlite'), '--out', join(work, 'g.safetensors'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as Report;
  const smallest = rep.result.privacy.noise.smallestFittingN;
  assert.ok(smallest > 3);
  assert.equal(rep.result.warnings.length, 1);
  assert.ok(rep.result.warnings[0]?.includes(`use at least ${smallest} images`), rep.result.warnings[0]);
  assert.match(r.stderr, new RegExp(`warning: .*use at least ${smallest} images`));
  assert.equal(rep.result.privacy.declaredN, 3);
  assert.equal(rep.result.privacy.countTreatment, 'public-n');
  assert.ok(!('noisyCount' in rep.result.privacy));
});

test('replace-one with a wrong declared n and invalid options are INVALID_ARGUMENT, listing every problem', () => {
  let r = cli(['generate', '--images', images, '--pack', pack.dir, '--epsilon', '1', '--delta', '1e-5', '--relation', 'replace-one', '--n', '7',
    '--ledger', join(work, 'l8.sqlite'), '--out', join(work, 'h.safetensors'), '--json']);
  assert.equal(r.status, 2);
  assert.match((JSON.parse(r.stdout) as { error: { message: string } }).error.message, /declared n \(--n on the command line, n_public on Noisy Aggregate\) must equal the number of images/);
  r = cli(['generate', '--images', images, '--pack', pack.dir, '--epsilon', '-1', '--delta', '2', '--relation', 'replace-one',
    '--out', join(work, 'h.safetensors'), '--json']);
  assert.equal(r.status, 2);
  const msg = (JSON.parse(r.stdout) as { error: { message: string } }).error.message;
  for (const s of ['--epsilon must be > 0', '--delta must be < 1', '--relation replace-one needs --n N']) assert.ok(msg.includes(s), msg);
});

test('sd15 and sdxl test packs give LoRAs with the full kohya key sets', async () => {
  for (const [target, modules] of [['sd15', 128], ['sdxl', 560]] as const) {
    const p = await writeTestPack({ target, dir: join(work, `pack-${target}`) });
    const out = join(work, `${target}.safetensors`);
    const r = cli(['generate', '--images', images, '--pack', p.dir, '--epsilon', '1', '--delta', '1e-5', '--ledger', join(work, 'l9.sqlite'), '--out', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const st = parseSafetensors(await readFile(out));
    assert.equal(st.tensors.length, modules * 3);
    assert.equal(metadataFromHeader(st.metadata ?? {}).layout, target);
  }
});

// Real ComfyUI's key mapping on the LoRAs the CLI just wrote (lora_check.py, as in
// test/lora/comfyui-lora-check.int.test.ts): COMFYUI_SRC=/path/to/ComfyUI names the source tree; without it, or
// without lora_check.py or torch, the test is skipped with the reason.
const comfySrc = process.env.COMFYUI_SRC ?? process.env.DP_COMFY_SRC;
const loraCheckDir = process.env.DP_LORA_CHECK_DIR
  ?? ['../shared/tools/real-comfyui', '../../shared/tools/real-comfyui'].map((rel) => join(ROOT, rel)).find((dir) => existsSync(join(dir, 'lora_check.py')));

/** Why this machine cannot run the real-ComfyUI check (the skip reason), or false when it can. */
function comfySkipReason(): string | false {
  if (comfySrc === undefined || comfySrc === '') return 'COMFYUI_SRC is not set: point it at a ComfyUI 0.3.64 source tree (COMFYUI_SRC=/path/to/ComfyUI) to run this check';
  if (!existsSync(join(comfySrc, 'comfy', 'lora.py'))) return `COMFYUI_SRC=${comfySrc} holds no comfy/lora.py: point it at a ComfyUI source tree`;
  if (loraCheckDir === undefined) return 'lora_check.py not found: set DP_LORA_CHECK_DIR to the folder holding lora_check.py and shims/ (shared/tools/real-comfyui)';
  const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 });
  if (torch.status !== 0) return '/usr/bin/python3 cannot import torch: install torch (CPU) to run this check';
  return false;
}

test('real ComfyUI maps every tensor of the sd15 and sdxl LoRAs the CLI wrote, with no shape error', { skip: comfySkipReason() }, () => {
  for (const [target, modules] of [['sd15', 128], ['sdxl', 560]] as const) {
    const out = join(work, `${target}.safetensors`);
    assert.ok(existsSync(out), `${out} is written by the test before this one`);
    const py = spawnSync('/usr/bin/python3', [join(loraCheckDir as string, 'lora_check.py'), comfySrc as string, out, target], {
      encoding: 'utf8', env: { ...process.env, PYTHONPATH: join(loraCheckDir as string, 'shims') },
    });
    assert.equal(py.status, 0, py.stdout + py.stderr);
    assert.equal(py.stdout.trim(), `${target}: ${modules} modules patched; 0 of ${modules * 3} tensors unused; 0 shape errors`);
  }
});
