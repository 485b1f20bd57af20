import { budgetView } from './budget-view.js';
/* global document -- browser code; the compiled copy in web/js is linted as plain JS with Node globals */
/** Where the frontend serves its app module, relative to /extensions/<plugin>/ (the legacy module path). */
const APP_MODULE = '../../scripts/app.js';
const NODE_PREFIX = 'DPHyperLoRA_';
const AGGREGATE = 'DPHyperLoRA_NoisyAggregate';
function textLines(output) {
    const t = output?.text;
    return Array.isArray(t) ? t.filter((x) => typeof x === 'string') : [];
}
function render(panel, nodeType, lines) {
    panel.replaceChildren();
    const view = nodeType === AGGREGATE ? budgetView(lines) : { lines, warnings: [], severity: 'ok' };
    for (const line of view.lines) {
        const row = document.createElement('div');
        row.textContent = line;
        panel.append(row);
    }
    for (const w of view.warnings) {
        const row = document.createElement('div');
        row.textContent = `⚠ ${w}`;
        row.style.color = '#f0b040';
        panel.append(row);
    }
    panel.style.borderLeft = view.severity === 'warn' ? '3px solid #f0b040' : '3px solid #3a7';
}
function makePanel() {
    const panel = document.createElement('div');
    panel.style.cssText = 'font: 11px monospace; white-space: pre-wrap; padding: 4px 6px; opacity: 0.9; overflow: auto;';
    panel.textContent = 'runs in the DP HyperLoRA worker';
    return panel;
}
const extension = {
    name: 'dp-hyperlora.status',
    async beforeRegisterNodeDef(nodeType, nodeData) {
        const type = nodeData.name;
        if (!type.startsWith(NODE_PREFIX))
            return;
        const proto = nodeType.prototype;
        const created = proto.onNodeCreated;
        proto.onNodeCreated = function onNodeCreated() {
            created?.call(this);
            const panel = makePanel();
            const widget = this.addDOMWidget('dp_status', 'dp_status', panel, { serialize: false, hideOnZoom: false });
            widget.serialize = false; // display only: never stored in the workflow's widgets_values
        };
        const executed = proto.onExecuted;
        proto.onExecuted = function onExecuted(output) {
            executed?.call(this, output);
            const widget = this.widgets?.find((w) => w.name === 'dp_status');
            if (widget?.element)
                render(widget.element, type, textLines(output));
        };
    },
};
const { app } = (await import(APP_MODULE));
app.registerExtension(extension);
