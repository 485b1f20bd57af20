/**
 * Converts between wire values (JSON + tensor frames, ./protocol.ts) and decoded values (./values.ts).
 */
import { NodeSdkError } from './errors.js';
import type { BlobEntry, TensorRef, WireFile, WireValue } from './protocol.js';
import { checkTensor, DTYPE_BYTES, elementCount, type Tensor } from './tensor.js';
import { DEFAULT_CHUNK_BYTES, encodeTensorFrames, type TensorFileChannel, type TensorReassembler } from './tensor-frames.js';
import type { DecodedValue, HostFile } from './values.js';

function takeTensor(frames: TensorReassembler, id: string, ref: TensorRef): Tensor {
  const bytes = elementCount(ref.shape) * DTYPE_BYTES[ref.dtype];
  const data = frames.take(id, ref.ref, bytes);
  return checkTensor({ dtype: ref.dtype, shape: ref.shape, data }, `tensor ${JSON.stringify(ref.ref)}`);
}

/** Decodes one wire value of call `id`, taking its tensors out of `frames`. */
export function decodeWireValue(value: WireValue, id: string, frames: TensorReassembler): DecodedValue {
  switch (value.kind) {
    case 'none': return { kind: 'none' };
    case 'json': return { kind: 'json', value: value.value };
    case 'tensor': return { kind: 'tensor', tensor: takeTensor(frames, id, value.tensor) };
    case 'tensors': {
      const blob = takeTensor(frames, id, value.blob).data;
      const tensors: Record<string, Tensor> = {};
      for (const [name, e] of Object.entries(value.entries)) {
        const end = e.offset + elementCount(e.shape) * DTYPE_BYTES[e.dtype];
        if (end > blob.byteLength) throw new NodeSdkError('PROTOCOL', `tensor ${JSON.stringify(name)} runs past the end of its blob; update the bridge and worker to the same version.`);
        tensors[name] = { dtype: e.dtype, shape: e.shape, data: blob.subarray(e.offset, end) };
      }
      return { kind: 'tensors', tensors, metadata: value.metadata };
    }
    case 'handle': return { kind: 'handle', type: value.type, handle: value.handle };
    case 'model': return { kind: 'model', targets: value.targets };
  }
}

/** Collects the binary frames of an outgoing message while its values are encoded. */
export class FrameSink {
  readonly frames: Buffer[] = [];
  private next = 0;

  /** `shm`: the connection's shared-memory channel (./shared-memory.ts), used for large tensors once enabled. */
  constructor(private readonly id: string, private readonly shm?: TensorFileChannel) {}

  /** Queues `t`'s bytes and returns the reference to put in the control message. */
  add(t: Tensor): TensorRef {
    const ref = `t${this.next++}`;
    this.frames.push(...encodeTensorFrames(this.id, ref, t.data, DEFAULT_CHUNK_BYTES, this.shm));
    return { ref, dtype: t.dtype, shape: [...t.shape] };
  }
}

/** Lays tensors out back to back in one blob, each at an 8-byte aligned offset. */
export function packBlob(tensors: Readonly<Record<string, Tensor>>): { blob: Uint8Array; entries: Record<string, BlobEntry> } {
  const entries: Record<string, BlobEntry> = {};
  let size = 0;
  for (const [name, t] of Object.entries(tensors)) {
    entries[name] = { dtype: t.dtype, shape: [...t.shape], offset: size };
    size += Math.ceil(t.data.byteLength / 8) * 8;
  }
  const blob = new Uint8Array(size);
  for (const [name, t] of Object.entries(tensors)) blob.set(t.data, entries[name]?.offset ?? 0);
  return { blob, entries };
}

/** Encodes one decoded value for the wire; its tensors go to `sink`. */
export function encodeWireValue(value: DecodedValue, sink: FrameSink): WireValue {
  switch (value.kind) {
    case 'none': return { kind: 'none' };
    case 'json': return { kind: 'json', value: value.value };
    case 'tensor': return { kind: 'tensor', tensor: sink.add(value.tensor) };
    case 'tensors': {
      const { blob, entries } = packBlob(value.tensors);
      return { kind: 'tensors', blob: sink.add({ dtype: 'uint8', shape: [blob.byteLength], data: blob }), entries, metadata: { ...value.metadata } };
    }
    case 'handle': return { kind: 'handle', type: value.type, handle: value.handle };
    case 'model':
      throw new NodeSdkError('INTERNAL', 'a node returned a MODEL description as an output; MODEL outputs are filled by the bridge. This is a bug; please report it.');
  }
}

/** Encodes a host file: its bytes as a uint8 tensor. */
export function encodeWireFile(file: HostFile, sink: FrameSink): WireFile {
  return { folder: file.folder, ...(file.subfolder === undefined ? {} : { subfolder: file.subfolder }), name: file.name, data: sink.add({ dtype: 'uint8', shape: [file.data.byteLength], data: file.data }) };
}
