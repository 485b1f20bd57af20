/**
 * Follows one prompt through its /ws messages (reference/comfyui.md §2, the order ComfyUI 0.3.64 sends
 * them: execution_start, execution_cached, then per node progress_state/executing/progress/executed,
 * then execution_success | execution_error | execution_interrupted, then `executing {node: null}`), and
 * settles exactly once. The ComfyClient feeds it messages and, after a reconnect, history entries.
 */
import type { DpHyperLoraError } from '../errors.js';
import { executionError, interruptedError, type PromptOutputs, type PromptSuccess } from './outcome.js';
import type { WsKnownMessage } from './ws-messages.js';

/** Progress of one prompt, for progress bars. */
export interface PromptProgress {
  promptId: string;
  /** 'queued' until execution_start, then 'running'. */
  phase: 'queued' | 'running';
  /** The node now running, if known. */
  node: string | undefined;
  /** Nodes finished or cached, and the prompt's node count. */
  nodesDone: number;
  nodesTotal: number;
  /** The running node's own ProgressBar, when it has one. */
  value: number;
  max: number;
  /** Overall fraction in [0, 1]. */
  fraction: number;
}

/** What the tracker asks its owner to do when the prompt ended (success needs the history for outputs). */
export type TrackerEnd = { kind: 'success' } | { kind: 'failed'; error: DpHyperLoraError } | { kind: 'finished-unknown' };

/** State of one prompt. */
export class PromptTracker {
  settled = false;
  /** The server accepted the POST (so /queue or /history must know the prompt). */
  accepted = false;
  /** execution_success was seen; the outputs are read from /history once `executing null` follows. */
  sawSuccess = false;
  interruptedByUs = false;
  /** Outputs gathered from `executed` messages (a fallback when /history cannot be read). */
  readonly outputs: PromptOutputs = {};
  private readonly done = new Set<string>();
  private progress: PromptProgress;

  constructor(readonly promptId: string, nodesTotal: number, private readonly serverLabel: string,
    private readonly onProgress: ((p: PromptProgress) => void) | undefined) {
    this.progress = { promptId, phase: 'queued', node: undefined, nodesDone: 0, nodesTotal, value: 0, max: 1, fraction: 0 };
  }

  private update(patch: Partial<PromptProgress>): void {
    const p = { ...this.progress, ...patch };
    const within = p.max > 0 ? Math.min(1, p.value / p.max) : 0;
    p.nodesDone = this.done.size;
    p.fraction = p.nodesTotal > 0 ? Math.min(1, (p.nodesDone + (p.node !== undefined && !this.done.has(p.node) ? within : 0)) / p.nodesTotal) : 0;
    this.progress = p;
    this.onProgress?.(p);
  }

  /** Feeds one message about this prompt; returns how it ended when this message ends it. */
  handle(msg: WsKnownMessage): TrackerEnd | undefined {
    switch (msg.type) {
      case 'execution_start':
        this.update({ phase: 'running' });
        return undefined;
      case 'execution_cached':
        for (const n of msg.data.nodes) this.done.add(n);
        this.update({ phase: 'running' });
        return undefined;
      case 'executing':
        if (msg.data.node === null) return { kind: 'finished-unknown' };
        if (this.progress.node !== undefined) this.done.add(this.progress.node);
        this.update({ phase: 'running', node: msg.data.node, value: 0, max: 1 });
        return undefined;
      case 'progress':
        this.update({ value: msg.data.value, max: msg.data.max, ...(msg.data.node !== null ? { node: msg.data.node } : {}) });
        return undefined;
      case 'executed':
        if (msg.data.output !== null) this.outputs[msg.data.node] = msg.data.output;
        this.done.add(msg.data.node);
        this.update({});
        return undefined;
      case 'execution_success':
        return { kind: 'success' };
      case 'execution_error':
        return { kind: 'failed', error: executionError(msg.data, this.serverLabel) };
      case 'execution_interrupted':
        return { kind: 'failed', error: interruptedError(msg.data, this.serverLabel, this.interruptedByUs) };
      default:
        return undefined;
    }
  }

  /** The outputs seen on /ws, as a success (used when history cannot be read after execution_success). */
  successFromMessages(): PromptSuccess {
    return { promptId: this.promptId, outputs: this.outputs };
  }
}
