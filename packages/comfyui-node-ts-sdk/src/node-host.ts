/**
 * The node host: runs a pack's graph nodes for the bridge. It decodes an `execute` message's inputs, calls the
 * node with an abort signal and a progress callback, and sends back a `result` (tensors first, as frames) or an
 * `error`. `cancel` aborts the matching call. While a call runs, an `alive` heartbeat tells the bridge the worker
 * is still there, so a slow node is never mistaken for a dead worker and a dead one is noticed in bounded time.
 *
 * What an error tells ComfyUI is the pack's choice ({@link NodeHostOptions.describeError}); by default a
 * NodeSdkError keeps its code and message and any other exception becomes INTERNAL without its text, since
 * library messages may quote file names or data the node read.
 */
import { isNodeSdkError, NodeSdkError } from './errors.js';
import { HandleStore, type HandleStoreLike } from './handles.js';
import { SILENT_LOGGER, type SdkLogger } from './logger.js';
import type { NodeDefinition, PackTypes } from './node-definition.js';
import type { BridgeMessage, WireValue, WorkerMessage } from './protocol.js';
import type { SharedMemoryChannel } from './shared-memory.js';
import { TensorReassembler } from './tensor-frames.js';
import type { DecodedValue } from './values.js';
import { decodeWireValue, encodeWireFile, encodeWireValue, FrameSink } from './wire-values.js';

/** The `reason` of an error message for a handle the worker no longer holds: the bridge replays its producer once. */
export const HANDLE_EXPIRED_REASON = 'handle_expired';

/** Where the host sends its messages (the WebSocket in production, an array in tests). */
export interface HostTransport {
  sendText(message: WorkerMessage): void;
  sendBinary(frame: Buffer): void;
  /** The connection's shared-memory channel (./shared-memory.ts), when the bridge runs on this machine. */
  readonly shm?: SharedMemoryChannel;
}

/** What an `error` message says: a code, a message for the user, and optionally a reason the bridge acts on. */
export interface ErrorReport {
  readonly code: string;
  readonly message: string;
  readonly reason?: typeof HANDLE_EXPIRED_REASON;
}

/** Options of the node host; every hook has a generic default. */
export interface NodeHostOptions<T extends PackTypes, N extends NodeDefinition<T> = NodeDefinition<T>> {
  readonly settings: T['settings'];
  /** Milliseconds between `alive` heartbeats while a call runs (default 2,000). */
  readonly heartbeatMs?: number;
  readonly log?: SdkLogger;
  /** The handle store nodes see (default: a HandleStore of 16). */
  readonly handles?: HandleStoreLike;
  /** Turns a failure into the `error` message's fields (default: see the module comment). */
  describeError?(e: unknown, nodeId: string): ErrorReport;
  /** The abort reason when ComfyUI interrupts (`interrupt`) or the connection closes (`closed`). */
  cancelReason?(why: 'interrupt' | 'closed'): Error;
  /** Whether `result` may carry the call's compute time (default: always). */
  reportsTiming?(node: N): boolean;
}

function defaultDescribe(e: unknown, nodeId: string): ErrorReport {
  if (isNodeSdkError(e)) return { code: e.code, message: e.message, ...(e.code === 'HANDLE_EXPIRED' ? { reason: HANDLE_EXPIRED_REASON } : {}) };
  return { code: 'INTERNAL', message: `${nodeId} failed unexpectedly (${e instanceof Error ? e.name : 'error'}); the details are withheld because they may quote the data the node read. See the worker log.` };
}

function defaultCancel(why: 'interrupt' | 'closed'): Error {
  return new NodeSdkError('CANCELLED', why === 'interrupt' ? 'cancelled by ComfyUI (interrupt).' : 'the bridge connection closed.');
}

/** Runs nodes on behalf of the bridge; one instance per worker process (handles outlive connections). */
export class NodeHost<T extends PackTypes = PackTypes, N extends NodeDefinition<T> = NodeDefinition<T>> {
  private readonly byId: ReadonlyMap<string, N>;
  private readonly running = new Map<string, AbortController>();
  private readonly frames = new TensorReassembler();
  private readonly log: SdkLogger;
  readonly handles: HandleStoreLike;

  constructor(nodes: readonly N[], private readonly options: NodeHostOptions<T, N>) {
    this.byId = new Map(nodes.map((n) => [n.id, n]));
    this.log = options.log ?? SILENT_LOGGER;
    this.handles = options.handles ?? new HandleStore();
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
        this.log.info(`cancelling call ${message.id}`);
        controller.abort((this.options.cancelReason ?? defaultCancel)('interrupt'));
      }
      this.frames.dropCall(message.id);
      return;
    }
    if (message.type === 'execute') void this.execute(message, transport);
  }

  /** Aborts every running call (the connection went away). */
  abortAll(): void {
    for (const c of this.running.values()) c.abort((this.options.cancelReason ?? defaultCancel)('closed'));
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
        throw new NodeSdkError('PROTOCOL', `unknown node ${JSON.stringify(message.node)}; the bridge's node manifest and this worker come from different versions. Reinstall the plugin (npm ci) and restart ComfyUI.`);
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
      const timed = this.options.reportsTiming?.(node) ?? true;
      transport.sendText({ type: 'result', id, outputs, ...(result.ui ? { ui: Object.fromEntries(Object.entries(result.ui).map(([k, v]) => [k, [...v]])) } : {}), ...(files ? { files } : {}), ...(timed ? { computeMs } : {}) });
      if (timed) this.log.debug(`${message.node} finished in ${computeMs.toFixed(1)} ms; result encoded and queued ${(performance.now() - started - computeMs).toFixed(1)} ms later`);
    } catch (e) {
      const report = (this.options.describeError ?? defaultDescribe)(e, message.node);
      if (report.code !== 'CANCELLED') this.log.warn(`${message.node} failed: [${report.code}] ${report.message}`);
      transport.sendText({ type: 'error', id, code: report.code, message: report.message, ...(report.reason ? { reason: report.reason } : {}) });
    } finally {
      clearInterval(heartbeat);
      transport.shm?.releaseCall(id); // only files not handed over (the call failed while encoding its result)
      this.running.delete(id);
      this.frames.dropCall(id);
    }
  }
}
