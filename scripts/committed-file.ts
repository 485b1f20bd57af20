/**
 * One generated file that is committed: write it, or with `--check` fail (exit 1) when the committed copy differs
 * from what the code would write now. Shared by the export-* scripts.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export function writeOrCheck(target: string, text: string, howToUpdate: string, wrote = `wrote ${target}`): void {
  if (!process.argv.includes('--check')) {
    writeFileSync(target, text);
    process.stdout.write(`${wrote}\n`);
    return;
  }
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch (e) {
    current = `(unreadable: ${e instanceof Error ? e.message : String(e)})`;
  }
  if (current !== text) {
    process.stderr.write(`${howToUpdate}\n`);
    process.exit(1);
  }
}
