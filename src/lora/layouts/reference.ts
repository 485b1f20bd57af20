/**
 * The `reference` layout: whatever modules a pack's manifest lists in `lora.modules` (the reference pack's
 * own small UNet). The list is checked here so that a malformed manifest cannot produce keys that would
 * collide or escape the kohya naming scheme.
 */
import { DpHyperLoraError } from '../../errors.js';
import type { LoraLayout, LoraModule } from './layout.js';

/** A kohya key prefix: letters, digits and underscores (a '.' would clash with the `.lora_up` suffixes). */
export const KOHYA_KEY_PATTERN = /^[A-Za-z0-9_]{1,200}$/;

/** Builds the `reference` layout from a manifest's module list; throws PACK_INVALID listing every problem. */
export function referenceLayout(modules: readonly LoraModule[]): LoraLayout {
  const problems: string[] = [];
  const seen = new Set<string>();
  if (modules.length === 0) problems.push('lora.modules is empty');
  modules.forEach((m, i) => {
    if (!KOHYA_KEY_PATTERN.test(m.key)) problems.push(`lora.modules[${i}].key ${JSON.stringify(m.key)} is not a kohya key (letters, digits, "_")`);
    if (seen.has(m.key)) problems.push(`lora.modules[${i}].key ${JSON.stringify(m.key)} appears twice`);
    seen.add(m.key);
    for (const dim of ['in', 'out'] as const) {
      if (!Number.isSafeInteger(m[dim]) || m[dim] <= 0) problems.push(`lora.modules[${i}].${dim} is ${m[dim]}; it must be a positive integer`);
    }
  });
  if (problems.length > 0) {
    throw new DpHyperLoraError('PACK_INVALID', `the pack's LoRA module list is invalid: ${problems.join('; ')}. Re-export the pack.`);
  }
  return { name: 'reference', modules: modules.map((m) => ({ key: m.key, in: m.in, out: m.out })) };
}
