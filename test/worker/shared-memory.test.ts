import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SharedMemoryChannel, SHM_MIN_BYTES, sweepStaleShmDirs } from '../../src/worker/shared-memory.js';
import { encodeTensorFrames, TensorReassembler } from '../../src/worker/tensor-frames.js';

function bytes(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
}

test('the folder is owner-only with a probe; large tensors travel as one header-only frame and the reader deletes the file', () => {
  const shm = new SharedMemoryChannel();
  try {
    assert.equal(statSync(shm.dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(shm.dir, 'probe')).mode & 0o777, 0o600);
    shm.enabled = true;
    const data = bytes(SHM_MIN_BYTES + 3);
    const frames = encodeTensorFrames('c1', 't0', data, undefined, shm);
    assert.equal(frames.length, 1);
    assert.ok((frames[0] as Buffer).byteLength < 200);
    const files = readdirSync(shm.dir).filter((n) => n !== 'probe');
    assert.equal(files.length, 1);
    assert.equal(statSync(join(shm.dir, files[0] as string)).mode & 0o777, 0o600);
    const small = encodeTensorFrames('c1', 't1', bytes(100), undefined, shm); // below the threshold: inline
    const r = new TensorReassembler();
    for (const f of [...frames, ...small]) r.push(f, shm);
    assert.deepEqual(new Uint8Array(r.take('c1', 't0', data.byteLength)), data);
    assert.deepEqual(r.take('c1', 't1', 100), bytes(100));
    assert.deepEqual(readdirSync(shm.dir), ['probe']);
  } finally {
    shm.dispose();
  }
  assert.equal(existsSync(shm.dir), false);
});

test('a file frame is refused without agreed shared memory, with a bad name or a wrong size', () => {
  const shm = new SharedMemoryChannel();
  try {
    shm.enabled = true;
    const [frame] = encodeTensorFrames('c2', 't0', bytes(SHM_MIN_BYTES), undefined, shm);
    assert.throws(() => new TensorReassembler().push(frame as Buffer), { code: 'PROTOCOL', message: /was not agreed on this connection/ });
    assert.throws(() => shm.read('../probe', 32), { code: 'PROTOCOL', message: /is not one the bridge makes/ });
    const name = shm.write('c3', bytes(10));
    assert.throws(() => shm.read(name, 11), { code: 'PROTOCOL', message: /holds 10 bytes, the frame says 11/ });
    assert.equal(existsSync(join(shm.dir, name)), false); // deleted even when refused
    shm.write('c4', bytes(10));
    shm.releaseCall('c2');
    shm.releaseCall('c4');
    assert.deepEqual(readdirSync(shm.dir), ['probe']);
  } finally {
    shm.dispose();
  }
});

test('folders of dead workers are swept, live ones and foreign names are kept', () => {
  const base = mkdtempSync(join(tmpdir(), 'dphl-shm-sweep-'));
  try {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadDir = join(base, `dp-hyperlora-${dead.stdout}-0123456789abcdef`);
    const liveDir = join(base, `dp-hyperlora-${process.pid}-0123456789abcdef`);
    const other = join(base, 'dp-hyperlora-notes');
    for (const d of [deadDir, liveDir, other]) mkdirSync(d, { mode: 0o700 });
    assert.equal(sweepStaleShmDirs(base), 1);
    assert.equal(existsSync(deadDir), false);
    assert.ok(existsSync(liveDir) && existsSync(other));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
