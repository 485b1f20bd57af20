// Generated from web/src/extensions/dp-hyperlora/dp-hyperlora.ts by scripts/build-web.mjs; edit the source, then run `npm run build:web`.
import { api } from '../../scripts/api.js';
import { app } from '../../scripts/app.js';
import { ComfyWidgets } from '../../scripts/widgets.js';
import { summaryText, summaryView } from './release-summary.js';
import { orderDisplayWidgets } from './widget-order.js';
/** Every node id of the plugin starts with this (nodes/manifest.json). */
export const NODE_PREFIX = 'DPHyperLoRA_';
/** The node whose body shows the release summary. */
export const NOISY_AGGREGATE = 'DPHyperLoRA_NoisyAggregate';
/** The name of the added widget; not an input of the node, and never saved in a workflow or prompt. */
export const SUMMARY_WIDGET = 'dp_summary';
const PLACEHOLDER_AGGREGATE = 'After a run: what it cost (ε out of each image\'s budget), the budget left, how the number of images was treated, then the details (σ, C, ρ).';
const PLACEHOLDER_OTHER = 'Status after a run.';
/** Amber, readable on ComfyUI's dark and light themes. */
const WARNING_COLOUR = '#e8a33d';
/** Red, for a failed run. */
const ERROR_COLOUR = '#d9534f';
/** First line of a box whose node did not run in the last, failed or stopped, run. */
export const NOT_RUN_LINE = '⏸ not run this time (the run failed or was stopped before this node); its last status:';
/** First line of a box whose node ComfyUI took from its cache (it sends no `executed` for it, §2). */
export const CACHED_LINE = '↻ taken from ComfyUI\'s cache this time: not run again, nothing charged. Its last status:';
/** The box of a cached node that this page never saw run (a re-queue after the page was loaded). */
export const CACHED_UNSEEN = '↻ taken from ComfyUI\'s cache: not run again, nothing charged. The run that made this result showed its summary on another page or before this page was loaded; `dp-hyperlora ledger list` lists the releases.';
function summaryWidget(node) {
    return node.widgets?.find((w) => w.name === SUMMARY_WIDGET);
}
function addSummaryWidget(node, placeholder) {
    const { widget } = ComfyWidgets.STRING(node, SUMMARY_WIDGET, ['STRING', { multiline: true }], app);
    // Display only, as in the core Preview Any node: widget.serialize=false keeps it out of the workflow's
    // widgets_values (whose count must match the node's inputs), options.serialize=false out of the API prompt
    // (where an input the node does not declare would enter its cache signature). The frontend declares
    // options.serialize in a module augmentation the types package cannot export, hence the narrow view.
    widget.serialize = false;
    widget.options.serialize = false;
    widget.element.readOnly = true;
    widget.element.placeholder = placeholder;
    orderDisplayWidgets(node.widgets);
}
/** Tints the box when the summary holds a warning, so that it cannot be missed. */
function showSeverity(element, view) {
    const warn = view.warningCount > 0;
    element.dataset.dpSeverity = warn ? 'warn' : 'ok';
    element.style.borderLeft = warn ? `4px solid ${WARNING_COLOUR}` : '';
    element.style.backgroundColor = warn ? 'rgba(232, 163, 61, 0.15)' : '';
    element.title = warn ? 'Read the lines marked ⚠ before using this release.' : '';
}
function showOutput(node, output) {
    const widget = summaryWidget(node);
    if (widget === undefined)
        return;
    const view = summaryView(output);
    widget.value = summaryText(view);
    widget.element.style.opacity = '';
    showSeverity(widget.element, view);
}
/** Every DP node created on this page; pruned of nodes no longer in the graph when a run ends badly. */
const ourNodes = new Set();
/** Ids of the nodes that ran or came from the cache in the current prompt. */
let ranThisPrompt = new Set();
function idOf(value) {
    return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
/** A box's text without the not-run or cache label above it (the label is always one line). */
function lastStatus(text) {
    return text.startsWith(NOT_RUN_LINE) || text.startsWith(CACHED_LINE) ? text.slice(text.indexOf('\n') + 1) : text;
}
/** After a failed or stopped run: dims and labels the boxes of our nodes that did not run in it. */
function markNotRun(failedId) {
    for (const node of ourNodes) {
        if (app.graph?.getNodeById(node.id) !== node) {
            ourNodes.delete(node);
            continue;
        }
        const id = String(node.id);
        const widget = summaryWidget(node);
        if (widget === undefined || id === failedId || ranThisPrompt.has(id) || widget.value.startsWith(NOT_RUN_LINE))
            continue;
        if (widget.value === '')
            continue; // nothing shown yet: the placeholder already says "after a run"
        widget.value = `${NOT_RUN_LINE}\n${lastStatus(widget.value)}`;
        widget.element.style.opacity = '0.6';
    }
}
/**
 * After `execution_cached`: labels the boxes of our cached nodes, so that a cost line from an earlier run is not read
 * as a new charge, and a box that never saw a run does not keep its "after a run" placeholder after one.
 */
function markCached(ids) {
    for (const id of ids) {
        const node = app.graph?.getNodeById(id);
        if (!node || !ourNodes.has(node))
            continue;
        const widget = summaryWidget(node);
        if (widget === undefined)
            continue;
        const last = lastStatus(widget.value);
        widget.value = last === '' || last === CACHED_UNSEEN ? CACHED_UNSEEN : `${CACHED_LINE}\n${last}`;
        widget.element.style.opacity = '';
    }
}
/** The box's text after a failed run: the error's own message (code first), never the previous summary. */
export function failureText(message) {
    const text = typeof message === 'string' ? message.trim() : '';
    return `✖ the last run failed, so no summary: ${text === '' ? 'see the error ComfyUI shows' : text}`;
}
/** Shows ComfyUI's `execution_error` on the failed node's box, when that node is one of ours. */
function showFailure(detail) {
    const id = typeof detail.node_id === 'string' || typeof detail.node_id === 'number' ? detail.node_id : undefined;
    const node = id === undefined ? null : app.graph?.getNodeById(id);
    const widget = node ? summaryWidget(node) : undefined;
    if (widget === undefined)
        return;
    widget.value = failureText(detail.exception_message);
    widget.element.style.opacity = '';
    widget.element.dataset.dpSeverity = 'error';
    widget.element.style.borderLeft = `4px solid ${ERROR_COLOUR}`;
    widget.element.style.backgroundColor = 'rgba(217, 83, 79, 0.15)';
    widget.element.title = 'The last run of this node failed; the text says why and what to do.';
}
function patchNodeType(prototype, isAggregate) {
    const created = prototype.onNodeCreated;
    prototype.onNodeCreated = function onNodeCreated() {
        created?.call(this);
        addSummaryWidget(this, isAggregate ? PLACEHOLDER_AGGREGATE : PLACEHOLDER_OTHER);
        ourNodes.add(this);
    };
    const executed = prototype.onExecuted;
    prototype.onExecuted = function onExecuted(output) {
        executed?.call(this, output);
        showOutput(this, output);
    };
}
/** The extension object (exported for tests; the module registers it on import). */
export const extension = {
    name: 'dp-hyperlora.summary',
    beforeRegisterNodeDef(nodeType, nodeData) {
        if (!nodeData.name.startsWith(NODE_PREFIX))
            return;
        patchNodeType(nodeType.prototype, nodeData.name === NOISY_AGGREGATE);
    },
    setup() {
        api.addEventListener('execution_start', () => { ranThisPrompt = new Set(); });
        api.addEventListener('execution_cached', (event) => {
            const nodes = event.detail.nodes;
            if (!Array.isArray(nodes))
                return;
            const ids = nodes.map(idOf).filter((id) => id !== undefined);
            for (const id of ids)
                ranThisPrompt.add(id);
            markCached(ids);
        });
        api.addEventListener('executing', (event) => {
            const detail = event.detail;
            const id = idOf(typeof detail === 'object' && detail !== null ? detail.node : detail);
            if (id !== undefined)
                ranThisPrompt.add(id);
        });
        api.addEventListener('execution_error', (event) => {
            showFailure(event.detail);
            markNotRun(idOf(event.detail.node_id));
        });
        api.addEventListener('execution_interrupted', (event) => markNotRun(idOf(event.detail.node_id)));
    },
};
app.registerExtension(extension);
