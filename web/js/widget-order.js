// Generated from web/src/extensions/dp-hyperlora/widget-order.ts by scripts/build-web.mjs; edit the source, then run `npm run build:web`.
/**
 * One fixed order for the two display boxes that two extensions add to Noisy Aggregate: the cost before the run
 * (cost-preview.ts, `dp_cost`) above the summary after it (dp-hyperlora.ts, `dp_summary`). The frontend imports the
 * extension files in parallel, so the extension registered first (and the box added first) changes from one page
 * load to the next (seen in a real browser, docs/frontend.md); each extension calls this after adding its box.
 * Pure: reorders the node's widget list in place, nothing else.
 */
/** The display boxes in the order they are shown; other widgets keep their places. */
export const DISPLAY_ORDER = ['dp_cost', 'dp_summary'];
/** Puts the display boxes present in `widgets` into {@link DISPLAY_ORDER}, in the slots they already occupy. */
export function orderDisplayWidgets(widgets) {
    if (widgets === undefined)
        return;
    const slots = [];
    widgets.forEach((w, i) => { if (DISPLAY_ORDER.includes(w.name))
        slots.push(i); });
    const boxes = slots.map((i) => widgets[i]).sort((a, b) => DISPLAY_ORDER.indexOf(a.name) - DISPLAY_ORDER.indexOf(b.name));
    slots.forEach((slot, k) => { widgets[slot] = boxes[k]; });
}
