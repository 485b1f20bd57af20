/**
 * Lists a private image folder so that no file goes unaccounted for. Every entry ends in exactly one bucket:
 * an image file (an image extension: decoded later, and counted as unreadable if that fails, where the user's
 * --on-unreadable policy applies), another file (no image extension, e.g. notes.txt: counted and named on the
 * local terminal, never opened), a hidden file (name starting with ".", e.g. .DS_Store: counted, never opened),
 * or a sub-folder (counted, not entered). Listing reads names only; files are opened once, by the streamed decoder, so that a 10,000-image
 * folder costs one decode per image and nothing more.
 *
 * Privacy: the file names are private. They are returned to the caller only so that the local CLI can print
 * them on the user's own terminal (stderr); library code never puts them into messages, logs, reports or
 * LoRA metadata, which carry counts only.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DpHyperLoraError } from '../errors.js';

/** What to do with files that cannot be decoded: skip them (counted) or fail the run before any budget is spent. */
export type OnUnreadable = 'skip' | 'fail';

/** The accounting of one folder. Counts are safe to report; names are for the user's own terminal only. */
export interface FolderListing {
  /** Absolute paths of the image files (image extension, not hidden), sorted by name. */
  readonly imagePaths: readonly string[];
  /** Names of visible files without an image extension (not used). */
  readonly otherFiles: readonly string[];
  readonly hiddenFiles: readonly string[];
  readonly subfolders: readonly string[];
}

/** File name extensions treated as images (case-insensitive); what sharp/libvips reads, plus HEIC/HEIF. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['png', 'jpg', 'jpeg', 'jpe', 'jfif', 'webp', 'tif', 'tiff', 'gif', 'avif', 'heic', 'heif']);

function hasImageExtension(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot > 0 && IMAGE_EXTENSIONS.has(name.slice(dot + 1).toLowerCase());
}

/** Counts only: what reports and metadata may carry. */
export interface FolderCounts {
  readonly otherFiles: number;
  readonly hiddenFiles: number;
  readonly subfolders: number;
}

/** The counts of a listing (no names). */
export function folderCounts(l: FolderListing): FolderCounts {
  return { otherFiles: l.otherFiles.length, hiddenFiles: l.hiddenFiles.length, subfolders: l.subfolders.length };
}

/**
 * Lists `dir` (names only). Throws INVALID_ARGUMENT when `dir` is not a readable folder and IMAGES_EMPTY when it
 * holds no image file at all. `onListing` receives the listing before that check, so that the local terminal can
 * name what the folder holds instead.
 *
 * Privacy: the errors may reach ComfyUI (DP Embed) and --json output, so they carry no count and no name of what
 * the folder holds (each is a function of the private set); the exact listing goes only to `onListing`.
 */
export async function listImageFolder(dir: string, onListing?: (listing: FolderListing) => void): Promise<FolderListing> {
  const abs = resolve(dir);
  let entries;
  try {
    entries = await readdir(abs, { withFileTypes: true });
  } catch (e) {
    throw new DpHyperLoraError('INVALID_ARGUMENT',
      `--images must be a readable folder of images, but it could not be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); check the path.`, { cause: e });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const hiddenFiles = entries.filter((e) => e.name.startsWith('.')).map((e) => e.name);
  const visible = entries.filter((e) => !e.name.startsWith('.'));
  const subfolders = visible.filter((e) => e.isDirectory()).map((e) => e.name);
  const files = visible.filter((e) => !e.isDirectory()).map((e) => e.name);
  const imageFiles = files.filter(hasImageExtension);
  const otherFiles = files.filter((name) => !hasImageExtension(name));
  const listing: FolderListing = { imagePaths: imageFiles.map((name) => join(abs, name)), otherFiles, hiddenFiles, subfolders };
  onListing?.(listing);
  if (imageFiles.length === 0) {
    throw new DpHyperLoraError('IMAGES_EMPTY',
      'the image folder holds no image files (only files directly in it whose names end in an image extension are used; '
      + 'anything else it holds is listed on the local terminal only); put the private images (PNG, JPEG, WebP, TIFF, GIF, AVIF) directly in it.');
  }
  return listing;
}
