/**
 * Tensor frames: how tensor bytes travel between ComfyUI's Python process and a Node.js worker over one
 * WebSocket, as binary frames.
 *
 * One frame = uint32 big-endian header length, the header as UTF-8 JSON `{"id","ref","offset","total"}`, then
 * the payload bytes (a chunk of the tensor's bytes starting at `offset`; `total` is the tensor's byte size).
 * A tensor larger than the chunk size is split into several frames, so that neither side ever needs one
 * giant WebSocket message and progress stays responsive. dtype and shape travel in the control message that
 * refers to the tensor, sent after all of its frames.
 *
 * File channel (shared memory): once both sides agreed on a folder both can read, a tensor of at least
 * TENSOR_FILE_MIN_BYTES is written there as a file and travels as ONE frame with an empty payload whose header
 * adds `"file": NAME` (offset 0, total = the tensor's bytes); the receiver reads and deletes the file.
 *
 * The encoder and the reassembler are separate and can be tested by feeding them bytes (ws style).
 */
import { z } from 'zod';
import { NodeSdkError } from './errors.js';

/** Tensors smaller than this (bytes) stay inline in WebSocket frames: a file costs more than it saves. */
export const TENSOR_FILE_MIN_BYTES = 64 * 1024;

/** File names either side may create in the agreed folder: 32 hex digits and `.t`. */
export const TENSOR_FILE_PATTERN = /^[0-9a-f]{32}\.t$/;

/** A folder both sides can read (e.g. in /dev/shm), agreed per connection; `enabled` is false until then. */
export interface TensorFileChannel {
  readonly enabled: boolean;
  /** Writes a tensor's bytes for call `id` into a new file and returns its name (matching TENSOR_FILE_PATTERN). */
  write(id: string, data: Uint8Array): string;
  /** Reads the file `name` holding exactly `total` bytes, and deletes it. */
  read(name: string, total: number): Uint8Array;
}

/** Default chunk size: 8 MiB keeps frames well below WebSocket message limits and copies cache-friendly. */
export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

/** Largest tensor either side accepts (4 GiB − 1): far above any IMAGE batch or weight file a node sends. */
export const MAX_TENSOR_BYTES = 0xffffffff;

const headerSchema = z.object({
  id: z.string().min(1).max(64),
  ref: z.string().min(1).max(256),
  offset: z.number().int().nonnegative(),
  total: z.number().int().nonnegative().max(MAX_TENSOR_BYTES),
  /** A file (file channel) holding the whole tensor (the payload is then empty). */
  file: z.string().regex(TENSOR_FILE_PATTERN).optional(),
});
/** The JSON header of one tensor frame. */
export type FrameHeader = z.infer<typeof headerSchema>;

function headerOnlyFrame(header: FrameHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const frame = Buffer.allocUnsafe(4 + json.length);
  frame.writeUInt32BE(json.length, 0);
  json.copy(frame, 4);
  return frame;
}

/**
 * Splits `data` into tensor frames for call `id` and tensor `ref`. Always at least one frame (empty tensors too).
 * With an enabled file channel, a tensor of at least TENSOR_FILE_MIN_BYTES goes into a file instead.
 */
export function encodeTensorFrames(id: string, ref: string, data: Uint8Array, chunkBytes = DEFAULT_CHUNK_BYTES, files?: TensorFileChannel): Buffer[] {
  const total = data.byteLength;
  if (files?.enabled === true && total >= TENSOR_FILE_MIN_BYTES) return [headerOnlyFrame({ id, ref, offset: 0, total, file: files.write(id, data) })];
  const frames: Buffer[] = [];
  let offset = 0;
  do {
    const end = Math.min(total, offset + chunkBytes);
    const header = Buffer.from(JSON.stringify({ id, ref, offset, total }), 'utf8');
    const frame = Buffer.allocUnsafe(4 + header.length + (end - offset));
    frame.writeUInt32BE(header.length, 0);
    header.copy(frame, 4);
    frame.set(data.subarray(offset, end), 4 + header.length);
    frames.push(frame);
    offset = end;
  } while (offset < total);
  return frames;
}

function protocolError(message: string): NodeSdkError {
  return new NodeSdkError('PROTOCOL', `tensor frame: ${message}. The bridge and worker disagree; update both to the same version.`);
}

/** Parses one frame into its header and payload (a view into `frame`, not a copy). */
export function decodeTensorFrame(frame: Uint8Array): { header: FrameHeader; payload: Uint8Array } {
  if (frame.byteLength < 4) throw protocolError('frame shorter than its 4-byte header length');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const headerLength = view.getUint32(0, false);
  if (headerLength > 4096 || 4 + headerLength > frame.byteLength) throw protocolError(`header length ${headerLength} out of range`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(frame.buffer, frame.byteOffset + 4, headerLength).toString('utf8'));
  } catch (e) {
    throw protocolError(`header is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success) throw protocolError(`bad header (${parsed.error.issues.map((i) => i.message).join('; ')})`);
  const payload = frame.subarray(4 + headerLength);
  if (parsed.data.offset + payload.byteLength > parsed.data.total) throw protocolError('chunk runs past the tensor end');
  return { header: parsed.data, payload };
}

interface Pending {
  readonly data: Uint8Array;
  received: number;
}

/**
 * Collects chunks into whole tensors, keyed by (call id, ref). A tensor is complete when all of its bytes
 * have arrived; `take` hands it out once. `dropCall` frees a cancelled call's partial tensors.
 */
export class TensorReassembler {
  private readonly pending = new Map<string, Pending>();
  private bytesHeld = 0;

  constructor(private readonly maxBytesHeld = 8 * 1024 * 1024 * 1024) {}

  /** Adds one frame; a file frame is read (and its file deleted) through `files`. */
  push(frame: Uint8Array, files?: TensorFileChannel): void {
    const { header, payload } = decodeTensorFrame(frame);
    const key = `${header.id}\u0000${header.ref}`;
    let p = this.pending.get(key);
    if (header.file !== undefined) {
      if (files?.enabled !== true) throw protocolError('a file frame arrived, but a file channel was not agreed on this connection');
      if (p !== undefined || header.offset !== 0 || payload.byteLength !== 0) throw protocolError('a file frame must carry the whole tensor');
      if (this.bytesHeld + header.total > this.maxBytesHeld) throw protocolError(`more than ${this.maxBytesHeld} bytes of tensors in flight`);
      this.pending.set(key, { data: files.read(header.file, header.total), received: header.total });
      this.bytesHeld += header.total;
      return;
    }
    if (p === undefined) {
      if (this.bytesHeld + header.total > this.maxBytesHeld) throw protocolError(`more than ${this.maxBytesHeld} bytes of tensors in flight`);
      p = { data: new Uint8Array(header.total), received: 0 };
      this.pending.set(key, p);
      this.bytesHeld += header.total;
    } else if (p.data.byteLength !== header.total) {
      throw protocolError(`tensor ${JSON.stringify(header.ref)} changed size between chunks`);
    }
    p.data.set(payload, header.offset);
    p.received += payload.byteLength;
  }

  /** Removes and returns the complete tensor bytes for (id, ref); throws PROTOCOL when missing or partial. */
  take(id: string, ref: string, expectedBytes: number): Uint8Array {
    const key = `${id}\u0000${ref}`;
    const p = this.pending.get(key);
    if (p === undefined) {
      if (expectedBytes === 0) return new Uint8Array(0);
      throw protocolError(`tensor ${JSON.stringify(ref)} was referenced but never sent`);
    }
    this.pending.delete(key);
    this.bytesHeld -= p.data.byteLength;
    if (p.received !== p.data.byteLength || p.data.byteLength !== expectedBytes) {
      throw protocolError(`tensor ${JSON.stringify(ref)} has ${p.received} of ${expectedBytes} bytes`);
    }
    return p.data;
  }

  /** Forgets every partial tensor of call `id`. */
  dropCall(id: string): void {
    for (const [key, p] of this.pending) {
      if (key.startsWith(`${id}\u0000`)) {
        this.pending.delete(key);
        this.bytesHeld -= p.data.byteLength;
      }
    }
  }
}
