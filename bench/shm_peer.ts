/**
 * The worker half of bench/shm-throughput.py (not a benchmark on its own). It opens a real shared-memory channel
 * (src/worker/shared-memory.ts), prints its offer as one JSON line, then for each length-prefixed frame on stdin:
 * reassembles the tensor (reading the file), sends it straight back as new frames (writing a file), and reports
 * the milliseconds of each side as a JSON line on stderr.
 */
import { SharedMemoryChannel } from '../src/worker/shared-memory.js';
import { DEFAULT_CHUNK_BYTES, encodeTensorFrames, TensorReassembler } from '../src/worker/tensor-frames.js';

const shm = new SharedMemoryChannel();
const frames = new TensorReassembler();
process.stdout.write(`${JSON.stringify({ dir: shm.dir, probe: shm.probe })}\n`);
let pending = Buffer.alloc(0);
let round = 0;

function serve(frame: Buffer): void {
  shm.enabled = true;
  const t0 = performance.now();
  frames.push(frame, shm);
  const id = `c${round}`;
  const data = frames.take(id, 't', (JSON.parse(frame.subarray(4, 4 + frame.readUInt32BE(0)).toString('utf8')) as { total: number }).total);
  const t1 = performance.now();
  const copy = Buffer.allocUnsafe(data.byteLength);
  const t2 = performance.now();
  copy.set(data);
  const t3 = performance.now();
  const out = encodeTensorFrames(`r${round}`, 't', data, DEFAULT_CHUNK_BYTES, shm);
  const t4 = performance.now();
  shm.handedOver(`r${round}`);
  round++;
  for (const f of out) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(f.length, 0);
    process.stdout.write(Buffer.concat([len, f]));
  }
  process.stderr.write(`${JSON.stringify({ readMs: t1 - t0, copyMs: t3 - t2, writeMs: t4 - t3 })}\n`);
}

process.stdin.on('data', (chunk: Buffer) => {
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
    const len = pending.readUInt32BE(0);
    serve(pending.subarray(4, 4 + len));
    pending = pending.subarray(4 + len);
  }
});
process.stdin.on('end', () => shm.dispose());
