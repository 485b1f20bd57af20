/**
 * What the CLI shows on the user's own terminal (stderr) while a personalisation runs and after it: a progress
 * bar with exact counts on a TTY, the names of files that were not used, and the report's LOCAL part (exact n,
 * counts of files not used, timings, the ledger's path). All of it is private, which is why it goes only here:
 * never into --json output, report files, logs or LoRA metadata. Every private line starts with LOCAL_PREFIX,
 * so that a reader (and the leak-scanner tests) can tell it from the public lines.
 */
import cliProgress from 'cli-progress';
import type { FolderListing } from '../pack/image-folder.js';
import type { LocalOnlyReport } from '../pack/personalise.js';

/** The start of every line that shows private, local-only facts. */
export const LOCAL_PREFIX = 'dp-hyperlora [local only, do not share]: ';

/** Callbacks for makeDpLora that draw on stderr. Call `stop()` when done. */
export interface LocalDisplay {
  onListing(listing: FolderListing): void;
  onUnreadableFile(label: string, reason: string): void;
  onProgress(done: number, total: number | undefined): void;
  onWarning(message: string): void;
  /** Shows the report's local part (exact counts, timings, paths). */
  showLocal(local: LocalOnlyReport): void;
  stop(): void;
}

/** The local part as terminal lines (without the prefix). */
export function localLines(local: LocalOnlyReport): string[] {
  const f = local.files;
  const t = local.timings;
  const lines = [
    `${local.imagesUsed} image(s) used; ledger ${local.ledgerPath}`,
    `embedding ${(t.embedMs / 1000).toFixed(2)} s (encoder ${(t.encoderMs / 1000).toFixed(2)} s), release ${t.releaseMs.toFixed(0)} ms, hypernetwork ${t.hypernetMs.toFixed(0)} ms; total ${(t.totalMs / 1000).toFixed(2)} s`,
  ];
  const notUsed = [
    [f.unreadable, 'unreadable'], [f.duplicates, 'duplicate'], [f.otherFiles, 'non-image'], [f.hiddenFiles, 'hidden'], [f.subfolders, 'sub-folder'],
  ].filter(([count]) => (count as number) > 0).map(([count, what]) => `${count as number} ${what as string}`);
  if (notUsed.length > 0) lines.push(`not used: ${notUsed.join(', ')}`);
  return lines;
}

/** Makes the display; `quiet` (e.g. --json without a TTY) suppresses the bar but never the local lines. */
export function localDisplay(options: { quiet: boolean }): LocalDisplay {
  const tty = process.stderr.isTTY === true && !options.quiet;
  let bar: cliProgress.SingleBar | undefined;
  const say = (line: string): void => {
    if (bar !== undefined) bar.stop();
    bar = undefined;
    process.stderr.write(`${line}\n`);
  };
  return {
    onListing(l) {
      for (const f of l.otherFiles) say(`${LOCAL_PREFIX}not an image file by its name (not used): ${f}`);
      for (const f of l.hiddenFiles) say(`${LOCAL_PREFIX}hidden file (not used): ${f}`);
      for (const f of l.subfolders) say(`${LOCAL_PREFIX}sub-folder not searched: ${f}/`);
    },
    onUnreadableFile(label, reason) {
      say(`${LOCAL_PREFIX}not a readable image (not used): ${label} (${reason})`);
    },
    onProgress(done, total) {
      if (!tty) return;
      if (bar === undefined) {
        bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'embedding [{bar}] {value}/{total} images (local only)' }, cliProgress.Presets.shades_classic);
        bar.start(total ?? done, 0);
      }
      bar.update(done);
    },
    onWarning(message) {
      say(`dp-hyperlora: warning: ${message}`);
    },
    showLocal(local) {
      for (const line of localLines(local)) say(`${LOCAL_PREFIX}${line}`);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
