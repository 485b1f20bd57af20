// End-to-end: `dp-hyperlora pack build-conditioning` through the built CLI (`npx tsc -p tsconfig.build.json` first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConditioningPack } from '../../src/conditioning/pack.js';
import { serializeSafetensors } from '../../src/lora/safetensors-writer.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'dp-hyperlora.js');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DP_HYPERLORA_LOG: 'warn' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('pack build-conditioning writes a loadable pack from public image_embeds; refuses a second write without --force', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-cond-'));
  try {
    const m = 40;
    const d = 1024;
    const values = new Float32Array(m * d);
    for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 0.7311) + ((i % d) < 4 ? Math.cos(i) : 0);
    const file = join(dir, 'public.safetensors');
    await writeFile(file, serializeSafetensors([{ name: 'image_embeds', dtype: 'F16', shape: [m, d], values }]));
    const args = ['pack', 'build-conditioning', '--embeddings', file, '--k', '8', '--name', 'vit-h-public', '--whose', 'synthetic test data', '--out', dir];
    const r = cli([...args, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const manifest = JSON.parse(r.stdout) as { model: { family: string; dim: number }; basis: { k: number }; builtFrom: { data: string; images: number } };
    assert.deepEqual(manifest.model, { family: 'clip-vit-h-14', dim: 1024 });
    assert.equal(manifest.basis.k, 8);
    assert.deepEqual([manifest.builtFrom.data, manifest.builtFrom.images], ['public', 40]);
    const pack = await loadConditioningPack(join(dir, 'vit-h-public'));
    assert.equal(pack.basis.k, 8);
    const again = cli(args);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already exists.*--force/);
    assert.equal(cli([...args, '--force']).status, 0);
    const noWhose = cli(['pack', 'build-conditioning', '--embeddings', file, '--name', 'x', '--out', dir]);
    assert.equal(noWhose.status, 2);
    assert.match(noWhose.stderr, /--whose is required/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
