/**
 * ComfyUI's REST routes (reference/comfyui.md §4.4) over the platform `fetch`, every reply checked with
 * zod. Failures carry `details.transient`: true for "the server could not be reached or failed" (worth a
 * retry, perhaps elsewhere), false for "the request itself is wrong" (retrying cannot help).
 */
import { z } from 'zod';
import { DpHyperLoraError } from '../errors.js';
import { issuesLine } from './zod-issues.js';
import { validationError } from './node-errors.js';
import { ObjectInfo } from './object-info.js';
import {
  HistoryReply, PromptAccepted, PromptRejected, QueueReply, UploadReply,
  type FileRef, type HistoryEntry,
} from './rest-schemas.js';
import type { ApiPrompt } from './workflow-api.js';

/** What `POST /prompt` takes (the subset we send). */
export interface PromptRequest {
  prompt: ApiPrompt;
  clientId: string;
  /** Chosen by us so that a lost reply can still be traced in /queue and /history. */
  promptId: string;
  extraData?: Record<string, unknown>;
}

/** Options of one REST client. */
export interface RestOptions {
  /** Per-request time limit in milliseconds (downloads excepted). Default 30 000. */
  requestTimeoutMs?: number;
}

/** True when an error is worth retrying (a transport failure or a 5xx). */
export function isTransient(e: unknown): boolean {
  return e instanceof DpHyperLoraError && e.details?.transient === true;
}

/** A REST client for one ComfyUI server. */
export class ComfyRest {
  /** The server's origin, used in messages, e.g. `http://127.0.0.1:8188`. */
  readonly label: string;
  private readonly base: URL;
  private readonly timeoutMs: number;

  constructor(serverUrl: string, options: RestOptions = {}) {
    let url: URL;
    try {
      url = new URL(serverUrl);
    } catch (e) {
      throw new DpHyperLoraError('INVALID_ARGUMENT', `--server ${JSON.stringify(serverUrl)} is not a URL; write it like http://127.0.0.1:8188.`, { cause: e });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new DpHyperLoraError('INVALID_ARGUMENT', `--server ${serverUrl} must use http:// or https://.`);
    }
    this.base = new URL(url.pathname.endsWith('/') ? url.href : `${url.href}/`);
    this.label = url.origin + url.pathname.replace(/\/$/, '');
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /** The absolute URL of a route (relative to the server URL, so a path prefix is kept). */
  url(route: string): URL {
    return new URL(route.replace(/^\//, ''), this.base);
  }

  /** Sends a request; maps transport failures and non-2xx replies (other than `allow`) to errors. */
  async request(route: string, init: RequestInit & { allow?: number[]; noTimeout?: boolean } = {}): Promise<Response> {
    const signals = [init.signal, init.noTimeout === true ? undefined : AbortSignal.timeout(this.timeoutMs)].filter((s): s is AbortSignal => s != null);
    let res: Response;
    try {
      res = await fetch(this.url(route), { ...init, signal: signals.length > 0 ? AbortSignal.any(signals) : null });
    } catch (e) {
      const cause = e instanceof Error ? ((e.cause as NodeJS.ErrnoException | undefined)?.code ?? e.name) : String(e);
      throw new DpHyperLoraError('COMFY_HTTP', `cannot reach ComfyUI at ${this.label} (${route.split('?')[0]}: ${cause}). Check that the server is running and the --server URL is right.`,
        { cause: e, details: { transient: true, server: this.label } });
    }
    if (!res.ok && !(init.allow ?? []).includes(res.status)) {
      const text = (await res.text().catch(() => '')).slice(0, 300);
      throw new DpHyperLoraError('COMFY_HTTP', `ComfyUI at ${this.label} answered ${route.split('?')[0]} with HTTP ${res.status}${text ? `: ${text}` : ''}.`,
        { details: { transient: res.status >= 500 || res.status === 429, status: res.status, server: this.label } });
    }
    return res;
  }

  private async json<T>(res: Response, schema: z.ZodType<T>, route: string): Promise<T> {
    let raw: unknown;
    try {
      raw = await res.json();
    } catch (e) {
      throw new DpHyperLoraError('COMFY_PROTOCOL', `ComfyUI at ${this.label} sent a reply to ${route} that is not JSON. Check that --server points at ComfyUI.`, { cause: e });
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      throw new DpHyperLoraError('COMFY_PROTOCOL', `ComfyUI at ${this.label} sent a malformed reply to ${route}: ${issuesLine(parsed.error)}. This client speaks the ComfyUI 0.3.x API.`);
    }
    return parsed.data;
  }

  /** `POST /prompt`. A 400 becomes COMFY_VALIDATION with one readable line per node. */
  async postPrompt(req: PromptRequest, signal?: AbortSignal): Promise<z.infer<typeof PromptAccepted>> {
    const body = JSON.stringify({ prompt: req.prompt, client_id: req.clientId, prompt_id: req.promptId, ...(req.extraData ? { extra_data: req.extraData } : {}) });
    const res = await this.request('prompt', { method: 'POST', headers: { 'content-type': 'application/json' }, body, allow: [400], ...(signal ? { signal } : {}) });
    if (res.status === 400) throw validationError(await this.json(res, PromptRejected, 'POST /prompt'), this.label);
    return this.json(res, PromptAccepted, 'POST /prompt');
  }

  /** `GET /history/{id}`: the entry once the prompt ended, undefined while it is queued or running. */
  async history(promptId: string, signal?: AbortSignal): Promise<HistoryEntry | undefined> {
    const route = `history/${encodeURIComponent(promptId)}`;
    const reply = await this.json(await this.request(route, signal ? { signal } : {}), HistoryReply, 'GET /history');
    return reply[promptId];
  }

  /** `GET /queue`. */
  async queue(signal?: AbortSignal): Promise<QueueReply> {
    return this.json(await this.request('queue', signal ? { signal } : {}), QueueReply, 'GET /queue');
  }

  /** `GET /object_info`: every installed node class. */
  async objectInfo(signal?: AbortSignal): Promise<ObjectInfo> {
    return this.json(await this.request('object_info', signal ? { signal } : {}), ObjectInfo, 'GET /object_info');
  }

  /** `POST /interrupt`, targeted at one prompt when `promptId` is given (ComfyUI ignores it unless that prompt runs). */
  async interrupt(promptId?: string): Promise<void> {
    const body = JSON.stringify(promptId === undefined ? {} : { prompt_id: promptId });
    await this.request('interrupt', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  }

  /** `GET /view` for a file a node wrote; the caller streams the body. */
  async view(ref: FileRef, signal?: AbortSignal): Promise<Response> {
    const q = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type });
    return this.request(`view?${q.toString()}`, { noTimeout: true, ...(signal ? { signal } : {}) });
  }

  /** `POST /upload/image` (multipart): stores an image in the server's input folder for LoadImage. */
  async uploadImage(bytes: Uint8Array, name: string, options: { subfolder?: string; overwrite?: boolean; type?: 'input' | 'temp' } = {}): Promise<UploadReply> {
    const form = new FormData();
    form.append('image', new Blob([bytes]), name);
    form.append('type', options.type ?? 'input');
    if (options.subfolder !== undefined) form.append('subfolder', options.subfolder);
    if (options.overwrite === true) form.append('overwrite', 'true');
    return this.json(await this.request('upload/image', { method: 'POST', body: form }), UploadReply, 'POST /upload/image');
  }
}
