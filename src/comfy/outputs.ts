/**
 * Output files of a finished prompt: every `{filename, subfolder, type}` entry in its nodes' ui dicts
 * (images, gifs, audio, ...) is downloaded through `GET /view` into the batch folder, each to a temporary
 * name first and renamed when complete, so the folder never holds a half-written file under a final name.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DpHyperLoraError } from '../errors.js';
import type { ComfyRest } from './rest.js';
import { FileRef } from './rest-schemas.js';
import type { PromptOutputs } from './outcome.js';

/** Every file reference in a prompt's outputs, in node-id order. */
export function collectFileRefs(outputs: PromptOutputs): FileRef[] {
  const refs: FileRef[] = [];
  for (const id of Object.keys(outputs).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
    for (const list of Object.values(outputs[id] ?? {})) {
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        const r = FileRef.safeParse(item);
        if (r.success) refs.push(r.data);
      }
    }
  }
  return refs;
}

/** A safe local name: the job name, then the server's base name (no directories from the server are trusted). */
export function localName(jobName: string, ref: FileRef): string {
  const base = basename(ref.filename.replace(/\\/g, '/'));
  if (base === '' || base === '.' || base === '..') {
    throw new DpHyperLoraError('PATH_TRAVERSAL', `the server named an output file ${JSON.stringify(ref.filename)}, which is not a plain file name; refusing to write it.`);
  }
  return `${jobName}_${base}`;
}

/** Downloads every file into `dir`; returns the local names (relative to `dir`). */
export async function downloadOutputs(rest: ComfyRest, refs: readonly FileRef[], dir: string, jobName: string, signal?: AbortSignal): Promise<string[]> {
  const names: string[] = [];
  for (const ref of refs) {
    const name = localName(jobName, ref);
    const tmp = join(dir, `.${name}.part`);
    const res = await rest.view(ref, signal);
    if (res.body === null) throw new DpHyperLoraError('COMFY_HTTP', `ComfyUI at ${rest.label} sent an empty body for an output file.`, { details: { transient: true } });
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(tmp));
      await rename(tmp, join(dir, name));
    } catch (e) {
      await rm(tmp, { force: true });
      throw new DpHyperLoraError('COMFY_HTTP', `downloading an output file from ${rest.label} failed: ${e instanceof Error ? e.message : String(e)}.`, { cause: e, details: { transient: true } });
    }
    names.push(name);
  }
  return names;
}
