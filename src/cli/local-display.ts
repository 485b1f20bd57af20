/**
 * What the CLI shows on the user's own terminal (stderr) while a personalisation runs: a progress bar on a TTY,
 * and the names of files that were not used. The names are private, which is why they go only here: never into
 * --json output, report files, logs or LoRA metadata (those carry counts).
 */
import cliProgress from 'cli-progress';
import type { FolderListing } from '../pack/image-folder.js';

/** Callbacks for makeDpLora that draw on stderr. Call `stop()` when done. */
export interface LocalDisplay {
  onListing(listing: FolderListing): void;
  onUnreadableFile(label: string, reason: string): void;
  onProgress(done: number, total: number | undefined): void;
  onWarning(message: string): void;
  stop(): void;
}

/** Makes the display; `quiet` (e.g. --json without a TTY) suppresses the bar but never the file list. */
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
      for (const f of l.otherFiles) say(`dp-hyperlora: not an image file by its name (not used): ${f}`);
      for (const f of l.hiddenFiles) say(`dp-hyperlora: hidden file (not used): ${f}`);
      for (const f of l.subfolders) say(`dp-hyperlora: sub-folder not searched: ${f}/`);
    },
    onUnreadableFile(label, reason) {
      say(`dp-hyperlora: not a readable image (not used): ${label} (${reason})`);
    },
    onProgress(done, total) {
      if (!tty) return;
      if (bar === undefined) {
        bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'embedding [{bar}] {value}/{total} images' }, cliProgress.Presets.shades_classic);
        bar.start(total ?? done, 0);
      }
      bar.update(done);
    },
    onWarning(message) {
      say(`dp-hyperlora: warning: ${message}`);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
