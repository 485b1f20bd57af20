/**
 * Where a personalisation's private images come from: a folder on disk (the CLI) or decoded images in memory
 * (the ComfyUI worker, which receives IMAGE tensors). Both become a stream of {@link ImageTask}s for
 * ./embed.ts, so that the DP path is one and the same.
 */
import { DpHyperLoraError } from '../errors.js';
import type { ImageTask } from './embed.js';
import { folderCounts, listImageFolder, type FolderCounts, type FolderListing, type OnUnreadable } from './image-folder.js';
import { decodeImage, type DecodedImage } from './preprocess.js';

/** Images from a folder: the files with an image extension directly inside `dir` (not sub-folders). */
export interface FolderImages {
  readonly kind: 'folder';
  readonly dir: string;
  /** What to do with files that cannot be decoded (default 'fail'). */
  readonly onUnreadable?: OnUnreadable;
}

/** Decoded images in memory: 8-bit RGB, after EXIF rotation and alpha flattening (see ./preprocess.ts). */
export interface DecodedImages {
  readonly kind: 'decoded';
  readonly images: AsyncIterable<DecodedImage> | Iterable<DecodedImage>;
}

/** The image input of a personalisation. */
export type ImageInput = FolderImages | DecodedImages;

/** A resolved input: the task stream plus what the folder listing found (counts are reportable, names are not). */
export interface ResolvedInput {
  readonly tasks: AsyncIterable<ImageTask>;
  readonly onUnreadable: OnUnreadable;
  /** Present for folders: the full listing (names for the local terminal only). */
  readonly listing?: FolderListing;
  readonly counts: FolderCounts;
  /** How many tasks will come (PRIVATE; folders and in-memory arrays), for the local progress display. */
  readonly expected?: number;
}

async function* folderTasks(paths: readonly string[], signal: AbortSignal | undefined): AsyncIterable<ImageTask> {
  for (const path of paths) {
    throwIfCancelled(signal);
    yield { label: path.slice(path.lastIndexOf('/') + 1), load: () => decodeImage(path) };
  }
}

async function* decodedTasks(images: AsyncIterable<DecodedImage> | Iterable<DecodedImage>, signal: AbortSignal | undefined): AsyncIterable<ImageTask> {
  let i = 0;
  for await (const img of images) {
    throwIfCancelled(signal);
    const label = `image ${i++}`;
    yield { label, load: () => Promise.resolve(checkDecoded(img)) };
  }
}

function checkDecoded(img: DecodedImage): DecodedImage {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1 || img.rgb.length !== img.width * img.height * 3) {
    throw new DpHyperLoraError('INVALID_INPUT_DATA', 'an in-memory image is not 8-bit RGB of width × height × 3 samples; convert it before passing it in.');
  }
  return img;
}

/** Throws CANCELLED when `signal` has fired (checked between images, before any budget is spent). */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new DpHyperLoraError('CANCELLED', 'the personalisation was cancelled before any privacy budget was spent.');
}

/**
 * Lists a folder or wraps in-memory images. `onListing` lets the CLI show the files that are not used (other files,
 * hidden files, sub-folders) on the user's own terminal first.
 */
export async function resolveImageInput(input: ImageInput, signal?: AbortSignal, onListing?: (l: FolderListing) => void): Promise<ResolvedInput> {
  if (input.kind === 'decoded') {
    const expected = Array.isArray(input.images) ? { expected: input.images.length } : {};
    return { tasks: decodedTasks(input.images, signal), onUnreadable: 'fail', counts: { otherFiles: 0, hiddenFiles: 0, subfolders: 0 }, ...expected };
  }
  const onUnreadable = input.onUnreadable ?? 'fail';
  const listing = await listImageFolder(input.dir, onListing);
  return {
    tasks: folderTasks(listing.imagePaths, signal), onUnreadable, listing, counts: folderCounts(listing), expected: listing.imagePaths.length,
  };
}
