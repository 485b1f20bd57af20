// Generated from web/src/extensions/dp-hyperlora/release-summary.ts by scripts/build-web.mjs; edit the source, then run `npm run build:web`.
/**
 * What the Noisy Aggregate node shows after it runs: the release's public summary (how n was treated, σ, the
 * ε charged or "reused", the budget left per image, the release number) and its warnings, built ONLY from the
 * node's `ui` payload (reference/comfyui.md §6: the `executed` event's `output`).
 *
 * Two payload shapes are read:
 * - structured: `ui.dp_release = [ReleaseSummary]` (one JSON object per run), checked by {@link validateReleaseSummary};
 * - plain text: `ui.text = [line, …]`, shown verbatim, a line starting with "⚠" or "warning:" being a warning.
 * The structured one wins when it is valid; otherwise the text lines are shown. Nothing is derived or added:
 * every shown line is a payload line or a payload field, formatted.
 *
 * Pure (no DOM, no imports), so that Node tests it directly and the browser loads it as a plain ES module.
 */
/** The schema tag the worker puts in a structured summary. */
export const RELEASE_SUMMARY_SCHEMA = 'dp-hyperlora.release-summary/1';
/** The `ui` key that carries a structured summary. */
export const RELEASE_SUMMARY_UI_KEY = 'dp_release';
function isRecord(x) {
    return typeof x === 'object' && x !== null && !Array.isArray(x);
}
function checkNumber(o, key, problems, test, what) {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || !test(v))
        problems.push(`${key} must be ${what}`);
}
function countProblems(count) {
    if (!isRecord(count))
        return ['count must be an object'];
    const problems = [];
    if (count.treatment === 'noisy-count') {
        checkNumber(count, 'noisyCount', problems, () => true, 'a finite number');
        checkNumber(count, 'sigmaCount', problems, (x) => x > 0, 'a number > 0');
    }
    else if (count.treatment === 'public-n') {
        checkNumber(count, 'declaredN', problems, (x) => Number.isInteger(x) && x >= 1, 'an integer ≥ 1');
    }
    else {
        problems.push('count.treatment must be "noisy-count" or "public-n"');
    }
    return problems.map((p) => (p.startsWith('count') ? p : `count.${p}`));
}
/**
 * Checks a structured summary and returns every problem at once (empty when valid). Hand-written rather than
 * zod because this file is served to the browser as-is, with no bundler to bring a library along.
 */
export function validateReleaseSummary(x) {
    if (!isRecord(x))
        return ['the summary must be an object'];
    const problems = [];
    if (x.schema !== RELEASE_SUMMARY_SCHEMA)
        problems.push(`schema must be "${RELEASE_SUMMARY_SCHEMA}"`);
    checkNumber(x, 'releaseNumber', problems, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
    if (x.relation !== 'add-remove' && x.relation !== 'replace-one')
        problems.push('relation must be "add-remove" or "replace-one"');
    checkNumber(x, 'epsilon', problems, (v) => v > 0, 'a number > 0');
    checkNumber(x, 'delta', problems, (v) => v >= 0 && v < 1, 'a number in [0, 1)');
    problems.push(...countProblems(x.count));
    checkNumber(x, 'sigmaSum', problems, (v) => v > 0, 'a number > 0');
    checkNumber(x, 'clipNorm', problems, (v) => v > 0, 'a number > 0');
    if (typeof x.charged !== 'boolean')
        problems.push('charged must be a boolean');
    checkNumber(x, 'epsilonCharged', problems, (v) => v >= 0, 'a number ≥ 0');
    checkNumber(x, 'budgetLeftEpsilon', problems, () => true, 'a finite number');
    if (!Array.isArray(x.warnings) || !x.warnings.every((w) => typeof w === 'string'))
        problems.push('warnings must be a list of strings');
    if (x.budgetEpsilon !== undefined)
        checkNumber(x, 'budgetEpsilon', problems, (v) => v > 0, 'a number > 0');
    if (x.releasesLeft !== undefined)
        checkNumber(x, 'releasesLeft', problems, (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0');
    if (x.rho !== undefined)
        checkNumber(x, 'rho', problems, (v) => v > 0, 'a number > 0');
    return problems;
}
/** A public number, short: 4 significant digits (the worker's own formatting). */
export function formatNumber(x) {
    return String(Number(x.toPrecision(4)));
}
/**
 * The summary lines of a valid structured summary (warnings excluded), in plain words first: what this release cost
 * out of the per-image budget and how many more like it fit; then how the number of images was treated; then one
 * details line (relation, ε, δ, σ, C, ρ) for people who want the mechanism.
 */
export function summaryLines(s) {
    const f = formatNumber;
    const ofBudget = s.budgetEpsilon === undefined ? '' : ` of your ${f(s.budgetEpsilon)}`;
    const more = s.releasesLeft === undefined ? '' : ` · about ${s.releasesLeft} more release${s.releasesLeft === 1 ? '' : 's'} like this`;
    const sigmaCount = s.count.treatment === 'noisy-count' ? `, σ_count = ${f(s.count.sigmaCount)}` : '';
    return [
        // ComfyUI re-sends a cached node's ui on re-queue: the wording stays true when shown again later.
        s.charged
            ? `privacy cost ε = ${f(s.epsilonCharged)}${ofBudget} per image${more}`
            : `privacy cost now: 0 (release #${s.releaseNumber} was already made; repeats are free)${more}`,
        `release #${s.releaseNumber}: re-running it is free; a new release number, or any change of ε, δ, relation or images, spends budget again`,
        `budget left for your most-used image: ε = ${f(s.budgetLeftEpsilon)}${ofBudget}`,
        s.count.treatment === 'noisy-count'
            ? `number of images: kept private; only a noisy count was released (≈ ${f(s.count.noisyCount)})`
            : `number of images: ${s.count.declaredN} (you declared it public)`,
        `details: ${s.relation} · ε = ${f(s.epsilon)}, δ = ${f(s.delta)} · σ_sum = ${f(s.sigmaSum)}${sigmaCount} · C = ${f(s.clipNorm)}`
            + (s.rho === undefined ? '' : ` · ρ = ${f(s.rho)} (zCDP)`),
    ];
}
const WARNING_PREFIX = /^\s*(?:⚠\uFE0F?|warning:)\s*/iu;
/** Splits the `ui.text` entries into lines and marks warnings; non-string entries are not shown. */
export function textLines(text) {
    if (!Array.isArray(text))
        return [];
    const lines = [];
    for (const entry of text) {
        if (typeof entry !== 'string')
            continue;
        for (const raw of entry.split(/\r?\n/)) {
            const line = raw.trimEnd();
            if (line.trim() === '')
                continue;
            const warning = WARNING_PREFIX.test(line);
            lines.push({ text: warning ? line.replace(WARNING_PREFIX, '') : line, warning });
        }
    }
    return lines;
}
function structuredSummary(output) {
    const entries = output[RELEASE_SUMMARY_UI_KEY];
    // ComfyUI concatenates ui lists across list-mapped calls; Noisy Aggregate makes one release per run.
    const last = Array.isArray(entries) ? entries[entries.length - 1] : undefined;
    return validateReleaseSummary(last).length === 0 ? last : undefined;
}
function warningsFirst(lines, source) {
    const warnings = lines.filter((l) => l.warning);
    return { lines: [...warnings, ...lines.filter((l) => !l.warning)], warningCount: warnings.length, source };
}
/** Builds the view from the `output` of the node's `executed` event (anything else gives an empty view). */
export function summaryView(output) {
    if (!isRecord(output))
        return { lines: [], warningCount: 0, source: 'empty' };
    const s = structuredSummary(output);
    if (s !== undefined) {
        const lines = [...s.warnings.map((text) => ({ text, warning: true })), ...summaryLines(s).map((text) => ({ text, warning: false }))];
        return warningsFirst(lines, 'structured');
    }
    const lines = textLines(output.text);
    return warningsFirst(lines, lines.length > 0 ? 'text' : 'empty');
}
/** The widget's text: one line per entry, warnings marked with "⚠ ". */
export function summaryText(view) {
    return view.lines.map((l) => (l.warning ? `⚠ ${l.text}` : l.text)).join('\n');
}
