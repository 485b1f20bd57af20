import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ManifestWriter, readManifest, type ManifestLine } from '../../src/comfy/manifest.js';
import { DpHyperLoraError } from '../../src/errors.js';

const line = (job: string, key: string, status: ManifestLine['status']): ManifestLine =>
  ({ job, key, inputs: { '3.inputs.seed': 1 }, prompt_id: 'p', server: 'http://s', files: [], status, attempts: 1, finished_at: '2026-01-01T00:00:00.000Z' });

test('the last line per key wins; a torn last line is skipped, and the next writer cuts it off', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'manifest-')), 'manifest.jsonl');
  let w = new ManifestWriter(path);
  w.append(line('job-1', 'k1', 'failed'));
  w.append(line('job-1', 'k1', 'success'));
  w.append(line('job-2', 'k2', 'interrupted'));
  w.close();
  appendFileSync(path, '{"job":"job-3","key":"k3","inp'); // a crash mid-write
  const m = readManifest(path);
  assert.deepEqual([...m.entries()].map(([k, v]) => [k, v.status]), [['k1', 'success'], ['k2', 'interrupted']]);
  w = new ManifestWriter(path);
  w.append(line('job-3', 'k3', 'success'));
  w.close();
  const text = readFileSync(path, 'utf8').split('\n');
  assert.equal(text.length, 5); // 4 whole lines and the empty string after the final newline
  assert.equal(text[3], JSON.stringify(line('job-3', 'k3', 'success')));
  assert.equal(readManifest(path).get('k3')?.status, 'success');
});

test('a damaged line in the middle is an error that says what to do', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'manifest-')), 'manifest.jsonl');
  appendFileSync(path, `garbage\n${JSON.stringify(line('job-1', 'k1', 'success'))}\n`);
  assert.throws(() => readManifest(path), (e: unknown) => e instanceof DpHyperLoraError && e.code === 'INVALID_INPUT_DATA' &&
    e.message === 'manifest line 1 is not JSON. Use a fresh --out folder or remove the manifest.');
});
