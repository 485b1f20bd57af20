/**
 * Resolves a pack manifest's `lora` section to a layout. For `sd15` and `sdxl` the manifest's module list
 * must equal our fixed table exactly (same keys, same shapes), because ComfyUI will apply the file to a real
 * base model whose shapes are fixed; a pack trained for anything else is refused.
 */
import { DpHyperLoraError } from '../../errors.js';
import type { LayoutName, LoraLayout, LoraModule } from './layout.js';
import { referenceLayout } from './reference.js';
import { SD15_LAYOUT } from './sd15.js';
import { SDXL_LAYOUT } from './sdxl.js';

/** The fixed layouts, by name. */
export const FIXED_LAYOUTS: Readonly<Record<'sd15' | 'sdxl', LoraLayout>> = { sd15: SD15_LAYOUT, sdxl: SDXL_LAYOUT };

/** The differences between `modules` and `expected` (missing, unexpected, wrong shape), as messages. */
export function layoutDifferences(modules: readonly LoraModule[], expected: LoraLayout): string[] {
  const want = new Map(expected.modules.map((m) => [m.key, m]));
  const got = new Map(modules.map((m) => [m.key, m]));
  const problems: string[] = [];
  for (const [key, m] of want) {
    const g = got.get(key);
    if (g === undefined) problems.push(`missing ${key}`);
    else if (g.in !== m.in || g.out !== m.out) problems.push(`${key} is [out ${g.out}, in ${g.in}], expected [out ${m.out}, in ${m.in}]`);
  }
  for (const key of got.keys()) if (!want.has(key)) problems.push(`unexpected ${key}`);
  if (got.size !== modules.length) problems.push('a key appears more than once');
  return problems;
}

/** Returns the layout named by a manifest's `lora` section; throws PACK_INCOMPATIBLE when sd15/sdxl differ. */
export function resolveLayout(lora: { readonly layout: LayoutName; readonly modules: readonly LoraModule[] }): LoraLayout {
  if (lora.layout === 'reference') return referenceLayout(lora.modules);
  const expected = FIXED_LAYOUTS[lora.layout];
  const problems = layoutDifferences(lora.modules, expected);
  if (problems.length > 0) {
    const shown = problems.slice(0, 8).join('; ') + (problems.length > 8 ? `; and ${problems.length - 8} more` : '');
    throw new DpHyperLoraError('PACK_INCOMPATIBLE',
      `the pack declares lora.layout "${lora.layout}" but its ${lora.modules.length} modules do not match the ${expected.modules.length}-module ${lora.layout} table: ${shown}. ` +
      'Use a pack exported for this base model.');
  }
  return expected;
}
