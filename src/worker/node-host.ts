/**
 * The node host: runs graph nodes (nodes/*.ts) for the bridge. It decodes an `execute` message's inputs,
 * calls the node with an abort signal and a progress callback, and sends back a `result` (tensors first, as
 * frames) or an `error`. `cancel` aborts the matching call. While a call runs, an `alive` heartbeat tells
 * the bridge the worker is still there, so a slow node is never mistaken for a dead worker and a dead one
 * is noticed in bounded time.
 *
 * Errors sent to ComfyUI carry the DpHyperLoraError code and message, which by the project's rule never hold
 * private data; any other exception is reported as INTERNAL without its message, because its text could
 * come from a library that saw private data (a file name in an I/O error, for example).
 */
import { DpHyperLoraError, isDpError } from '../errors.js';
import { logger } from '../log/logger.js';
import { HANDLE_EXPIRED, HandleStore } from './handles.js';
import type { NodeDefinition, WorkerSettings } from './node-definition.js';
import type { BridgeMessage, WireValue, WorkerMessage } from './protocol.js';
import type { SharedMemoryChannel } from './shared-memory.js';
import { TensorReassembler } from './tensor-frames.js';
import { decodeWireValue, encodeWireFile, encodeWireValue, FrameSink } from './wire-values.js';
import type { DecodedValue } from './values.js';

const log = logger('worker');

/** Where the host sends its messages (the WebSocket in production, an array in tests). */
export interface HostTransport {
  sendText(message: WorkerMessage): void;
  sendBinary(frame: Buffer): void;
  /** The connection's shared-memory channel (./shared-memory.ts), when the bridge runs on this machine. */
  readonly shm?: SharedMemoryChannel;
}

/** Options of the node host. */
export interface NodeHostOptions {
  readonly settings: WorkerSettings;
  /** Milliseconds between `alive` heartbeats while a call runs. */
  readonly heartbeatMs?: number;
}

/** Runs nodes on behalf of the bridge; one instance per worker process (handles outlive connections). */
export class NodeHost {
  private readonly byId: ReadonlyMap<string, NodeDefinition>;
  private readonly running = new Map<string, AbortController>();
  private readonly frames = new TensorReassembler();
  readonly handles = new HandleStore();

  constructor(nodes: readonly NodeDefinition[], private readonly options: NodeHostOptions) {
    this.byId = new Map(nodes.map((n) => [n.id, n]));
  }

  /** The ids of the nodes this host runs. */
  get nodeIds(): string[] {
    return [...this.byId.keys()];
  }

  /** Feeds one binary frame (a tensor chunk, or a shared-memory file read through `shm`). */
  onBinary(frame: Uint8Array, shm?: SharedMemoryChannel): void {
    this.frames.push(frame, shm);
  }

  /** Handles one control message; `execute` runs asynchronously and reports through `transport`. */
  onMessage(message: BridgeMessage, transport: HostTransport): void {
    if (message.type === 'cancel') {
      const controller = this.running.get(message.id);
      if (controller !== undefined) {
        log.info(`cancelling call ${message.id}`);
        controller.abort(new DpHyperLoraError('CANCELLED', 'cancelled by ComfyUI (interrupt).'));
      }
      this.frames.dropCall(message.id);
      return;
    }
    if (message.type === 'execute') void this.execute(message, transport);
  }

  /** Aborts every running call (the connection went away). */
  abortAll(): void {
    for (const c of this.running.values()) c.abort(new DpHyperLoraError('CANCELLED', 'the bridge connection closed.'));
  }

  private async execute(message: Extract<BridgeMessage, { type: 'execute' }>, transport: HostTransport): Promise<void> {
    const { id } = message;
    const controller = new AbortController();
    this.running.set(id, controller);
    const heartbeat = setInterval(() => transport.sendText({ type: 'alive', id }), this.options.heartbeatMs ?? 2000);
    const started = performance.now();
    try {
      const node = this.byId.get(message.node);
      if (node === undefined) {
        throw new DpHyperLoraError('PROTOCOL', `unknown node ${JSON.stringify(message.node)}; the bridge's nodes/manifest.json and this worker come from different versions. Reinstall the plugin (npm ci) and restart ComfyUI.`);
      }
      const inputs: Record<string, DecodedValue> = {};
      for (const [name, wire] of Object.entries(message.inputs)) inputs[name] = decodeWireValue(wire, id, this.frames);
      const result = await node.execute(inputs, {
        signal: controller.signal,
        progress: (value, max) => transport.sendText({ type: 'progress', id, value: Math.max(0, value), max: Math.max(1, max) }),
        handles: this.handles,
        settings: this.options.settings,
      });
      const computeMs = performance.now() - started;
      controller.signal.throwIfAborted();
      const sink = new FrameSink(id, transport.shm);
      const outputs: Record<string, WireValue> = {};
      for (const [name, value] of Object.entries(result.outputs)) outputs[name] = encodeWireValue(value, sink);
      const files = result.files?.map((f) => encodeWireFile(f, sink));
      for (const frame of sink.frames) transport.sendBinary(frame);
      transport.shm?.handedOver(id);
      // A node that reads the private set takes time that grows with n: its compute time stays in this process.
      const timing = node.readsPrivateData === true ? {} : { computeMs };
      transport.sendText({ type: 'result', id, outputs, ...(result.ui ? { ui: Object.fromEntries(Object.entries(result.ui).map(([k, v]) => [k, [...v]])) } : {}), ...(files ? { files } : {}), ...timing });
      if (node.readsPrivateData !== true) log.debug(`${message.node} finished in ${computeMs.toFixed(1)} ms; result encoded and queued ${(performance.now() - started - computeMs).toFixed(1)} ms later`);
    } catch (e) {
      transport.sendText(errorMessage(id, message.node, e));
    } finally {
      clearInterval(heartbeat);
      transport.shm?.releaseCall(id); // only files not handed over (the call failed while encoding its result)
      this.running.delete(id);
      this.frames.dropCall(id);
    }
  }
}

/** Builds the `error` message for a failed call; non-DpHyperLoraError text is withheld (see module comment). */
export function errorMessage(id: string, node: string, e: unknown): WorkerMessage {
  if (isDpError(e)) {
    const reason = e.details?.reason === HANDLE_EXPIRED ? { reason: HANDLE_EXPIRED } as const : {};
    if (e.code !== 'CANCELLED') log.warn(`${node} failed: [${e.code}] ${e.message}`);
    return { type: 'error', id, code: e.code, message: e.message, ...reason };
  }
  // The stack shows where, without the message text (which may quote a private path).
  log.error(`${node} failed with an unexpected ${e instanceof Error ? e.name : typeof e}; stack:\n${e instanceof Error ? (e.stack ?? '').split('\n').slice(1).join('\n') : ''}`);
  return {
    type: 'error', id, code: 'INTERNAL',
    message: `${node} failed unexpectedly (${e instanceof Error ? e.name : 'error'}); the details are withheld because they could contain private data. This is a bug; please report it with the worker log.`,
  };
}
