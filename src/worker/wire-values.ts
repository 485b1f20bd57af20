/**
 * Converts between wire values (JSON + tensor frames, ./protocol.ts) and decoded values (./values.ts).
 */
import { DpHyperLoraError } from '../errors.js';
import type { TensorRef, WireFile } from './wire-types.js';
import type { WireValue } from './protocol.js';
import { encodeTensorFrames, type TensorReassembler } from './tensor-frames.js';
import { checkTensor, DTYPE_BYTES, elementCount, type DecodedValue, type HostFile, type Tensor } from './values.js';

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
      const tensors: Record<string, Tensor> = {};
      for (const [name, ref] of Object.entries(value.tensors)) tensors[name] = takeTensor(frames, id, ref);
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

  constructor(private readonly id: string) {}

  /** Queues `t`'s bytes and returns the reference to put in the control message. */
  add(t: Tensor): TensorRef {
    const ref = `t${this.next++}`;
    this.frames.push(...encodeTensorFrames(this.id, ref, t.data));
    return { ref, dtype: t.dtype, shape: [...t.shape] };
  }
}

/** Encodes one decoded value for the wire; its tensors go to `sink`. */
export function encodeWireValue(value: DecodedValue, sink: FrameSink): WireValue {
  switch (value.kind) {
    case 'none': return { kind: 'none' };
    case 'json': return { kind: 'json', value: value.value };
    case 'tensor': return { kind: 'tensor', tensor: sink.add(value.tensor) };
    case 'tensors': {
      const tensors: Record<string, TensorRef> = {};
      for (const [name, t] of Object.entries(value.tensors)) tensors[name] = sink.add(t);
      return { kind: 'tensors', tensors, metadata: { ...value.metadata } };
    }
    case 'handle': return { kind: 'handle', type: value.type, handle: value.handle };
    case 'model':
      throw new DpHyperLoraError('INTERNAL', 'a node returned a MODEL description as an output; MODEL outputs are filled by the bridge. This is a bug; please report it.');
  }
}

/** Encodes a host file: its bytes as a uint8 tensor. */
export function encodeWireFile(file: HostFile, sink: FrameSink): WireFile {
  return { folder: file.folder, name: file.name, data: sink.add({ dtype: 'uint8', shape: [file.data.byteLength], data: file.data }) };
}
