/**
 * The demo's class-mix table: how the feature classifier labels the sample set, the base model's samples and the
 * samples with the DP LoRA, side by side, with each model's KL to the sample set. It shows in a few lines whether
 * the LoRA moved the class mix towards the set (what the sample grid shows by eye).
 *
 * Public in the demo only: the bundled sample set is public Fashion-MNIST. `eval` on a private folder labels its
 * output NOT PRIVATE instead.
 */

/** Class histograms (fractions summing to 1, in the classifier's class order) and KL(set ‖ samples) in nats. */
export interface ClassMix {
  readonly names: readonly string[];
  readonly set: readonly number[];
  readonly base: readonly number[];
  readonly lora: readonly number[];
  readonly klBase: number;
  readonly klLora: number;
}

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`.padStart(7);

/** Shortest bar of `width` cells for a fraction, so the three columns can be compared at a glance. */
function bar(v: number, width = 12): string {
  const cells = Math.round(Math.min(1, Math.max(0, v)) * width);
  return `${'#'.repeat(cells)}${'.'.repeat(width - cells)}`;
}

/**
 * Text table, one row per class the set, the base or the LoRA uses (rows where all three are below 0.5% are
 * left out), then one line with both KLs and the LoRA's KL as a multiple of the base model's.
 */
export function formatClassMix(m: ClassMix): string {
  const width = Math.max(5, ...m.names.map((n) => n.length));
  const head = `${'class'.padEnd(width)}  ${'set'.padStart(7)}  ${'base'.padStart(7)}  ${'DP LoRA'.padStart(7)}  set          DP LoRA`;
  const rows = m.names.flatMap((name, i) => {
    const [s, b, l] = [m.set[i] ?? 0, m.base[i] ?? 0, m.lora[i] ?? 0];
    if (Math.max(s, b, l) < 0.005) return [];
    return [`${name.padEnd(width)}  ${pct(s)}  ${pct(b)}  ${pct(l)}  ${bar(s)} ${bar(l)}`];
  });
  const ratio = m.klBase > 0 ? ` (${(m.klLora / m.klBase).toFixed(2)} × base)` : '';
  return [
    'class mix as the pack\'s classifier labels them (set = the sample set):',
    head, ...rows,
    `KL(set ‖ samples): base ${m.klBase.toFixed(3)}, with DP LoRA ${m.klLora.toFixed(3)}${ratio}; lower is closer to the set`,
  ].join('\n');
}

/** Rounds a histogram for a report (4 decimals; the classifier's resolution at the demo's sample counts). */
export function roundHistogram(h: readonly number[]): number[] {
  return h.map((v) => Math.round(v * 1e4) / 1e4);
}
