// e2e: the `bench` command lists the benchmark scripts under bench/ and refuses unknown names (built CLI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const cli = (args: string[]) => spawnSync(process.execPath, ['bin/dp-hyperlora.js', ...args], { encoding: 'utf8' });

test('bench --list names exactly the runnable scripts in bench/ (helper modules excluded)', () => {
  const r = cli(['bench', '--list']);
  assert.equal(r.status, 0, r.stderr);
  const expected = readdirSync('bench').filter((f) => /^[a-z0-9-]+\.(ts|py)$/.test(f)).map((f) => f.replace(/\.(ts|py)$/, '')).sort();
  assert.deepEqual(r.stdout.trim().split('\n'), expected);
  assert.ok(expected.includes('noise') && expected.includes('time-to-lora'));
  assert.ok(!r.stdout.includes('bridge_bench_host'));
});

test('bench with an unknown name exits 2 and lists the known ones', () => {
  const r = cli(['bench', 'no-such-bench']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error \[INVALID_ARGUMENT\]: unknown benchmark\(s\): no-such-bench\. Known: .*noise/);
});
