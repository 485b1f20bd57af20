/**
 * The cost before the spend: Noisy Aggregate gets a read-only box that says, while you edit ε, δ or the relation
 * and before anything is queued, what the release will charge, the fewest images the pack needs at that ε, how
 * many releases like it a fresh image's budget allows, and where the privacy ledger is and how to back it up.
 * The numbers come from the worker (POST /dp_hyperlora/cost), computed from public values only: the widget values,
 * the pack chosen in the Load DP Hypernetwork node upstream, and the ledger's budget. Nothing private is involved.
 */
import type { ComfyApp, ComfyExtension } from '@comfyorg/comfyui-frontend-types';
import { api } from '../../scripts/api.js';
import { app } from '../../scripts/app.js';
import { ComfyWidgets, type GraphNode } from '../../scripts/widgets.js';
import { orderDisplayWidgets } from './widget-order.js';

/** The bridge's cost route. */
export const COST_ROUTE = '/dp_hyperlora/cost';
/** The display-only widget added to Noisy Aggregate; never saved in a workflow or a prompt. */
export const COST_WIDGET = 'dp_cost';
const NOISY_AGGREGATE = 'DPHyperLoRA_NoisyAggregate';
const INPUTS = ['epsilon', 'delta', 'relation', 'n_public'] as const;
const DEBOUNCE_MS = 300;
const UNCONNECTED = 'Connect DP Embed (with Load DP Hypernetwork) to see what this release will cost before you run it.';

/** The widget value named `name`, or undefined. */
function widgetValue(node: GraphNode, name: string): unknown {
  return node.widgets?.find((w) => w.name === name)?.value;
}

/** The pack label chosen upstream: embeddings ← DP Embed, whose pack ← Load DP Hypernetwork's `pack` widget. */
export function upstreamPack(node: GraphNode): string | undefined {
  const embed = node.getInputNode(node.inputs.findIndex((i) => i.name === 'embeddings'));
  if (embed === null) return undefined;
  const loader = embed.getInputNode(embed.inputs.findIndex((i) => i.name === 'pack'));
  const pack = loader === null ? undefined : widgetValue(loader, 'pack');
  return typeof pack === 'string' ? pack : undefined;
}

/** The cost route's body for `node`, or undefined when no pack is connected. */
export function costRequest(node: GraphNode): Record<string, unknown> | undefined {
  const pack = upstreamPack(node);
  if (pack === undefined) return undefined;
  return { pack, ...Object.fromEntries(INPUTS.map((name) => [name, widgetValue(node, name)])) };
}

/** The text for the box from the route's answer. */
export function costText(answer: unknown): string {
  const a = answer as { ok?: unknown; error?: unknown; ui?: { text?: unknown } } | null;
  if (a?.ok === true && Array.isArray(a.ui?.text)) return a.ui.text.filter((t): t is string => typeof t === 'string').join('\n');
  return `cost not available: ${typeof a?.error === 'string' ? a.error : 'unexpected answer'}`;
}

async function refresh(node: GraphNode, show: (text: string) => void): Promise<void> {
  const body = costRequest(node);
  if (body === undefined) {
    show(UNCONNECTED);
    return;
  }
  const response = await api.fetchApi(COST_ROUTE, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  show(costText(await response.json()));
}

interface NodeCallbacks {
  onNodeCreated?(this: GraphNode): void;
  onConnectionsChange?(this: GraphNode, ...args: unknown[]): void;
}

function attach(node: GraphNode, comfy: ComfyApp): void {
  const { widget } = ComfyWidgets.STRING(node, COST_WIDGET, ['STRING', { multiline: true }], comfy);
  widget.serialize = false;
  (widget.options as { serialize?: boolean }).serialize = false;
  widget.element.readOnly = true;
  widget.element.placeholder = UNCONNECTED;
  orderDisplayWidgets(node.widgets);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let latest = 0;
  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const mine = ++latest;
      void refresh(node, (text) => { if (mine === latest) widget.value = text; });
    }, DEBOUNCE_MS);
  };
  for (const w of node.widgets ?? []) {
    if (!(INPUTS as readonly string[]).includes(w.name)) continue;
    const own = w.callback;
    w.callback = function callback(this: unknown, ...args: Parameters<NonNullable<typeof own>>) {
      const r = own?.apply(this, args);
      schedule();
      return r;
    };
  }
  (node as { dpCostRefresh?: () => void }).dpCostRefresh = schedule;
  schedule();
}

/** The extension object (exported for tests; the module registers it on import). */
export const costExtension: ComfyExtension = {
  name: 'dp-hyperlora.cost-preview',
  beforeRegisterNodeDef(nodeType, nodeData) {
    if (nodeData.name !== NOISY_AGGREGATE) return;
    const proto = nodeType.prototype as NodeCallbacks;
    const created = proto.onNodeCreated;
    proto.onNodeCreated = function onNodeCreated(this: GraphNode): void {
      created?.call(this);
      attach(this, app);
    };
    const changed = proto.onConnectionsChange;
    proto.onConnectionsChange = function onConnectionsChange(this: GraphNode, ...args: unknown[]): void {
      changed?.apply(this, args);
      (this as { dpCostRefresh?: () => void }).dpCostRefresh?.();
    };
  },
};

app.registerExtension(costExtension);
