// Generated from web/src/extensions/dp-hyperlora/cost-preview.ts by scripts/build-web.mjs; edit the source, then run `npm run build:web`.
import { api } from '../../scripts/api.js';
import { app } from '../../scripts/app.js';
import { ComfyWidgets } from '../../scripts/widgets.js';
import { orderDisplayWidgets } from './widget-order.js';
/** The bridge's cost route. */
export const COST_ROUTE = '/dp_hyperlora/cost';
/** The display-only widget added to Noisy Aggregate; never saved in a workflow or a prompt. */
export const COST_WIDGET = 'dp_cost';
const NOISY_AGGREGATE = 'DPHyperLoRA_NoisyAggregate';
const INPUTS = ['epsilon', 'delta', 'relation', 'n_public'];
const DEBOUNCE_MS = 300;
const UNCONNECTED = 'Connect DP Embed (with Load DP Hypernetwork) to see what this release will cost before you run it.';
/** The widget value named `name`, or undefined. */
function widgetValue(node, name) {
    return node.widgets?.find((w) => w.name === name)?.value;
}
/** The pack label chosen upstream: embeddings ← DP Embed, whose pack ← Load DP Hypernetwork's `pack` widget. */
export function upstreamPack(node) {
    const embed = node.getInputNode(node.inputs.findIndex((i) => i.name === 'embeddings'));
    if (embed === null)
        return undefined;
    const loader = embed.getInputNode(embed.inputs.findIndex((i) => i.name === 'pack'));
    const pack = loader === null ? undefined : widgetValue(loader, 'pack');
    return typeof pack === 'string' ? pack : undefined;
}
/** The cost route's body for `node`, or undefined when no pack is connected. */
export function costRequest(node) {
    const pack = upstreamPack(node);
    if (pack === undefined)
        return undefined;
    return { pack, ...Object.fromEntries(INPUTS.map((name) => [name, widgetValue(node, name)])) };
}
/** The text for the box from the route's answer. */
export function costText(answer) {
    const a = answer;
    if (a?.ok === true && Array.isArray(a.ui?.text))
        return a.ui.text.filter((t) => typeof t === 'string').join('\n');
    return `cost not available: ${typeof a?.error === 'string' ? a.error : 'unexpected answer'}`;
}
async function refresh(node, show) {
    const body = costRequest(node);
    if (body === undefined) {
        show(UNCONNECTED);
        return;
    }
    const response = await api.fetchApi(COST_ROUTE, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    show(costText(await response.json()));
}
function attach(node, comfy) {
    const { widget } = ComfyWidgets.STRING(node, COST_WIDGET, ['STRING', { multiline: true }], comfy);
    widget.serialize = false;
    widget.options.serialize = false;
    widget.element.readOnly = true;
    widget.element.placeholder = UNCONNECTED;
    orderDisplayWidgets(node.widgets);
    let timer;
    let latest = 0;
    const schedule = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
            const mine = ++latest;
            void refresh(node, (text) => { if (mine === latest)
                widget.value = text; });
        }, DEBOUNCE_MS);
    };
    for (const w of node.widgets ?? []) {
        if (!INPUTS.includes(w.name))
            continue;
        const own = w.callback;
        w.callback = function callback(...args) {
            const r = own?.apply(this, args);
            schedule();
            return r;
        };
    }
    node.dpCostRefresh = schedule;
    schedule();
}
/** The extension object (exported for tests; the module registers it on import). */
export const costExtension = {
    name: 'dp-hyperlora.cost-preview',
    beforeRegisterNodeDef(nodeType, nodeData) {
        if (nodeData.name !== NOISY_AGGREGATE)
            return;
        const proto = nodeType.prototype;
        const created = proto.onNodeCreated;
        proto.onNodeCreated = function onNodeCreated() {
            created?.call(this);
            attach(this, app);
        };
        const changed = proto.onConnectionsChange;
        proto.onConnectionsChange = function onConnectionsChange(...args) {
            changed?.apply(this, args);
            this.dpCostRefresh?.();
        };
    },
};
app.registerExtension(costExtension);
