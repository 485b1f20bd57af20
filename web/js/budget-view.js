/**
 * What the Noisy Aggregate node shows: its body text (public values only, sent by the worker as ui.text)
 * turned into lines, warnings and a severity. Pure, so that it is tested in Node (test/web).
 */
/** Below this ε left, the node warns that the set's images are nearly out of budget. */
export const LOW_BUDGET_EPSILON = 1;
function numberAfter(line, marker) {
    if (line === undefined)
        return undefined;
    const at = line.indexOf(marker);
    if (at < 0)
        return undefined;
    const m = /^-?\d+(?:\.\d+)?(?:e-?\d+)?/i.exec(line.slice(at + marker.length).trim());
    return m ? Number(m[0]) : undefined;
}
/** Builds the view from the node's ui.text lines. */
export function budgetView(text) {
    const warnings = text.filter((l) => l.startsWith('⚠')).map((l) => l.replace(/^⚠\s*/, ''));
    const lines = text.filter((l) => !l.startsWith('⚠'));
    const epsilonLeft = numberAfter(lines.find((l) => l.startsWith('budget left')), 'ε =');
    const epsilonCharged = numberAfter(lines.find((l) => l.startsWith('ε charged now')), ':');
    const all = [...warnings];
    if (epsilonLeft !== undefined && epsilonLeft < LOW_BUDGET_EPSILON) {
        all.push(`the most-spent image has ε = ${epsilonLeft} left: further releases of this set will soon be refused.`);
    }
    return { lines, warnings: all, epsilonLeft, epsilonCharged, severity: all.length > 0 ? 'warn' : 'ok' };
}
