/**
 * A protocol-faithful ComfyUI stand-in (the only test double the project allows), written from
 * reference/comfyui.md §2 and §4 and checked against a real ComfyUI 0.3.64 (docs/batch.md, "Real ComfyUI
 * check"). Real HTTP and WebSocket on 127.0.0.1, port 0. Every JSON message and REST reply it sends is
 * validated with the client's own zod schemas before it goes out, so a drift between the two fails loudly.
 *
 * Knobs for tests: `nodeMs` (simulated work per executed node, with ProgressBar steps and a preview
 * frame), `dropSockets()` (network failure: the server keeps running), `kill()` (the process dies: queue and
 * history are lost), `sendRawForTest()` (the one way to send a malformed frame, for the client's negative tests).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { WebSocketServer, type WebSocket } from 'ws';
import { ObjectInfo, type ObjectInfo as ObjectInfoT } from '../../src/comfy/object-info.js';
import { HistoryReply, PromptAccepted, PromptRejected, QueueReply, UploadReply } from '../../src/comfy/rest-schemas.js';
import { parseWsBinary } from '../../src/comfy/ws-binary.js';
import { parseWsText } from '../../src/comfy/ws-messages.js';
import type { ApiPrompt } from '../../src/comfy/workflow-api.js';
import { execute, type QueueItem, type RunHooks } from './fake-comfy/executor.js';
import { validatePrompt } from './fake-comfy/validate.js';

/** The node definitions of a real ComfyUI 0.3.64 (its whole /object_info, 359 classes, recorded). */
export function realObjectInfo(): ObjectInfoT {
  // The benchmarks run a compiled copy from dist/test/comfy/, where the fixtures are not copied: look in the source tree too.
  const name = 'object_info.real-0.3.64.json';
  const candidates = [new URL(`./fixtures/${name}`, import.meta.url), new URL(`../../../test/comfy/fixtures/${name}`, import.meta.url)];
  const file = candidates.find((u) => existsSync(u)) ?? candidates[0] as URL;
  return ObjectInfo.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** Test server options. */
export interface FakeComfyOptions {
  objectInfo?: ObjectInfoT;
  /** Simulated work per executed node (ms). Default 0. */
  nodeMs?: number;
}

/** A running test server. */
export interface FakeComfy {
  url: string;
  port: number;
  inputDir: string;
  outputDir: string;
  /** Prompts accepted so far (ids), in order. */
  accepted: string[];
  /** Number of /interrupt calls that hit a running prompt. */
  interrupts: number;
  setNodeMs(ms: number): void;
  /** Calls `fn` when a prompt starts executing (e.g. to drop sockets mid-run). */
  onExecutionStart(fn: (promptId: string) => void): void;
  /** Ends every /ws connection and refuses new ones for `refuseMs` (a network outage; the server keeps running). */
  dropSockets(refuseMs?: number): void;
  sendRawForTest(frame: string | Buffer): void;
  kill(): Promise<void>;
  close(): Promise<void>;
}

const MAX_UPLOAD_BYTES = 104_857_600;

/** Starts a test server on 127.0.0.1, port 0. */
export async function startFakeComfy(options: FakeComfyOptions = {}): Promise<FakeComfy> {
  const root = mkdtempSync(join(tmpdir(), 'fake-comfy-'));
  const dirs = { inputDir: join(root, 'input'), outputDir: join(root, 'output'), tempDir: join(root, 'temp') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  writeFileSync(join(dirs.inputDir, 'example.png'), await sharp({ create: { width: 96, height: 64, channels: 3, background: '#5a8cff' } }).png().toBuffer());
  const baseInfo = options.objectInfo ?? realObjectInfo();
  let nodeMs = options.nodeMs ?? 0;
  let startHook: (id: string) => void = () => undefined;

  const sockets = new Map<string, { ws: WebSocket; previewMetadata: boolean }>();
  const pending: QueueItem[] = [];
  const history = new Map<string, unknown>();
  const state = { refuseUntil: 0, number: 0, running: undefined as QueueItem | undefined, lastNodeId: null as string | null, interruptFlag: false, dead: false, interrupts: 0 };
  const accepted: string[] = [];
  const counters = new Map<string, number>();
  const cache = new Map<string, { ui?: Record<string, unknown[]>; outputs: unknown[] }>();

  function objectInfo(): ObjectInfoT {
    // LoadImage's choices are the files in the input folder, as in ComfyUI (the recording lists the real server's files).
    const li = baseInfo.LoadImage;
    if (li === undefined) return baseInfo;
    const spec = li.input.required?.image;
    const image = [readdirSync(dirs.inputDir).sort(), ...(spec?.slice(1) ?? [])] as typeof spec;
    return { ...baseInfo, LoadImage: { ...li, input: { ...li.input, required: { ...li.input.required, image: image as NonNullable<typeof spec> } } } };
  }

  function sendJson(event: string, data: unknown, sid: string | null): void {
    const text = JSON.stringify({ type: event, data });
    parseWsText(text); // the server never sends what the client's schemas reject
    const targets = sid === null ? [...sockets.values()] : [sockets.get(sid)].filter((s) => s !== undefined);
    for (const t of targets) t.ws.send(text);
  }
  function sendBinary(frame: Buffer, sid: string): void {
    parseWsBinary(frame);
    sockets.get(sid)?.ws.send(frame);
  }
  const queueRemaining = (): number => pending.length + (state.running ? 1 : 0);
  const queueUpdated = (): void => sendJson('status', { status: { exec_info: { queue_remaining: queueRemaining() } } }, null);

  const hooks: RunHooks = {
    sendJson, sendBinary, objectInfo, counters, cache, dirs,
    nodeMs: () => nodeMs,
    interrupted: () => state.interruptFlag || state.dead,
    setLastNode: (n) => { state.lastNodeId = n; },
    wantsMetadata: (sid) => sockets.get(sid)?.previewMetadata === true,
  };

  async function worker(): Promise<void> {
    while (!state.dead && state.running === undefined && pending.length > 0) {
      pending.sort((a, b) => a.number - b.number);
      const item = pending.shift() as QueueItem;
      state.running = item;
      state.interruptFlag = false;
      queueUpdated();
      startHook(item.promptId);
      const result = await execute(item, hooks);
      if (state.dead) return;
      history.set(item.promptId, {
        prompt: [item.number, item.promptId, item.prompt, item.extraData, item.outputs],
        outputs: result.outputs, status: { status_str: result.success ? 'success' : 'error', completed: result.success, messages: result.messages }, meta: result.meta,
      });
      state.running = undefined;
      queueUpdated();
      sendJson('executing', { node: null, prompt_id: item.promptId }, item.clientId);
    }
  }

  function reply(res: ServerResponse, status: number, body: unknown, schema?: { parse(v: unknown): unknown }): void {
    schema?.parse(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  }

  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  async function postPrompt(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const json = JSON.parse((await readBody(req)).toString('utf8')) as Record<string, unknown>;
    const number = typeof json.number === 'number' ? json.number : state.number * (json.front === true ? -1 : 1);
    if (typeof json.number !== 'number') state.number += 1;
    if (!('prompt' in json)) {
      reply(res, 400, { error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} }, node_errors: {} }, PromptRejected);
      return;
    }
    const promptId = typeof json.prompt_id === 'string' ? json.prompt_id : randomUUID();
    const v = validatePrompt(json.prompt, objectInfo(), (cls, inputs) =>
      cls === 'LoadImage' && !existsSync(join(dirs.inputDir, basename(String(inputs.image)))) ? `image - Invalid image file: ${String(inputs.image)}` : true);
    if (!v.ok) { reply(res, 400, v.body, PromptRejected); return; }
    const clientId = typeof json.client_id === 'string' ? json.client_id : null;
    const extraData = { ...(json.extra_data as Record<string, unknown> | undefined), ...(clientId ? { client_id: clientId } : {}) };
    pending.push({ number, promptId, prompt: json.prompt as ApiPrompt, extraData, outputs: v.outputs, clientId });
    accepted.push(promptId);
    queueUpdated();
    reply(res, 200, { prompt_id: promptId, number, node_errors: {} }, PromptAccepted);
    setImmediate(() => { void worker(); });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname.replace(/^\/api\//, '/');
    const method = req.method ?? 'GET';
    if (method === 'POST' && path === '/prompt') return postPrompt(req, res);
    if (method === 'GET' && path === '/prompt') return reply(res, 200, { exec_info: { queue_remaining: queueRemaining() } });
    if (method === 'GET' && path === '/object_info') return reply(res, 200, objectInfo(), ObjectInfo);
    if (method === 'GET' && path.startsWith('/history/')) {
      const id = decodeURIComponent(path.slice('/history/'.length));
      const entry = history.get(id);
      return reply(res, 200, entry === undefined ? {} : { [id]: entry }, HistoryReply);
    }
    if (method === 'GET' && path === '/history') return reply(res, 200, Object.fromEntries(history), HistoryReply);
    if (method === 'GET' && path === '/queue') {
      const tuple = (i: QueueItem): unknown[] => [i.number, i.promptId, i.prompt, i.extraData, i.outputs];
      return reply(res, 200, { queue_running: state.running ? [tuple(state.running)] : [], queue_pending: pending.map(tuple) }, QueueReply);
    }
    if (method === 'POST' && path === '/queue') {
      const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as { clear?: boolean; delete?: string[] };
      if (body.clear === true) pending.length = 0;
      for (const id of body.delete ?? []) { const k = pending.findIndex((p) => p.promptId === id); if (k >= 0) pending.splice(k, 1); }
      queueUpdated();
      res.writeHead(200).end();
      return;
    }
    if (method === 'POST' && path === '/interrupt') {
      const text = (await readBody(req)).toString('utf8');
      let body: { prompt_id?: string } = {};
      try { body = JSON.parse(text) as { prompt_id?: string }; } catch (e) { if (!(e instanceof SyntaxError)) throw e; }
      if (state.running !== undefined && (body.prompt_id === undefined || body.prompt_id === state.running.promptId)) {
        state.interruptFlag = true;
        state.interrupts += 1;
      }
      res.writeHead(200).end();
      return;
    }
    if (method === 'GET' && path === '/view') return view(url, res);
    if (method === 'POST' && path === '/upload/image') return upload(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404: Not Found');
  }

  function view(url: URL, res: ServerResponse): void {
    const filename = url.searchParams.get('filename') ?? '';
    const type = url.searchParams.get('type') ?? 'output';
    const subfolder = url.searchParams.get('subfolder') ?? '';
    if (filename === '' || filename.startsWith('/') || filename.includes('..') || subfolder.includes('..')) { res.writeHead(400).end(); return; }
    const dir = type === 'input' ? dirs.inputDir : type === 'temp' ? dirs.tempDir : dirs.outputDir;
    const file = join(dir, subfolder, filename);
    if (!existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'image/png', 'content-disposition': `filename="${filename}"` }).end(readFileSync(file));
  }

  async function upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const form = await new Request('http://x/', { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body }).formData();
    const image = form.get('image');
    if (!(image instanceof File)) { res.writeHead(400).end(); return; }
    const name = basename(image.name);
    writeFileSync(join(dirs.inputDir, name), Buffer.from(await image.arrayBuffer()));
    reply(res, 200, { name, subfolder: '', type: String(form.get('type') ?? 'input') }, UploadReply);
  }

  const http: Server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`500: ${e instanceof Error ? e.message : String(e)}`);
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_UPLOAD_BYTES });
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.replace(/^\/api\//, '/') !== '/ws' || Date.now() < state.refuseUntil) { socket.destroy(); return; }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const sid = url.searchParams.get('clientId') || randomUUID().replace(/-/g, '');
      sockets.get(sid)?.ws.terminate();
      const entry = { ws, previewMetadata: false };
      sockets.set(sid, entry);
      let first = true;
      ws.on('message', (data, isBinary) => {
        if (!isBinary && first) {
          const msg = JSON.parse(String(data)) as { type?: string; data?: Record<string, unknown> };
          if (msg.type === 'feature_flags') {
            entry.previewMetadata = msg.data?.supports_preview_metadata === true;
            sendJson('feature_flags', { supports_preview_metadata: true, max_upload_size: MAX_UPLOAD_BYTES }, sid);
          }
        }
        first = false;
      });
      ws.on('close', () => { if (sockets.get(sid) === entry) sockets.delete(sid); });
      sendJson('status', { status: { exec_info: { queue_remaining: queueRemaining() } }, sid }, sid);
      if (state.running?.clientId === sid && state.lastNodeId !== null) sendJson('executing', { node: state.lastNodeId }, sid);
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as { port: number }).port;

  const closeAll = async (): Promise<void> => {
    state.dead = true;
    for (const s of sockets.values()) s.ws.terminate();
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  };
  return {
    url: `http://127.0.0.1:${port}`, port, ...dirs, accepted,
    get interrupts() { return state.interrupts; },
    setNodeMs: (ms) => { nodeMs = ms; },
    onExecutionStart: (fn) => { startHook = fn; },
    dropSockets: (refuseMs = 0) => { state.refuseUntil = Date.now() + refuseMs; for (const s of sockets.values()) s.ws.terminate(); },
    sendRawForTest: (frame) => { for (const s of sockets.values()) s.ws.send(frame); },
    kill: closeAll,
    close: closeAll,
  };
}
