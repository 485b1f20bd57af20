/**
 * Client overhead per job: the ComfyClient (zod-checked messages, prompt tracking, /history read) against
 * the same exchange done by hand with bare `fetch` and a bare `ws` (no checks), and against one bare HTTP
 * round trip, all on the same ComfyUI test server, interleaved in one run. Target: client ≤ 2× by hand.
 *
 *   node --import tsx bench/client-overhead.ts [jobs]
 */
import WebSocket from 'ws';
import { ComfyClient } from '../src/comfy/client.js';
import type { ApiPrompt } from '../src/comfy/workflow-api.js';
import { startFakeComfy } from '../test/comfy/fake-comfy-server.js';

const jobs = Number(process.argv[2] ?? 200);

const prompt = (width: number): ApiPrompt => ({
  '1': { class_type: 'LoadImage', inputs: { image: 'example.png' } },
  '2': { class_type: 'ImageScale', inputs: { image: ['1', 0], upscale_method: 'nearest-exact', width, height: 8, crop: 'disabled' } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'bench' } },
});

/** The protocol by hand: POST /prompt, wait for `executing {node: null}` of that prompt on a bare socket, GET /history. */
async function byHand(url: string, ws: WebSocket, clientId: string, p: ApiPrompt): Promise<void> {
  const res = await fetch(`${url}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: p, client_id: clientId }) });
  const { prompt_id: id } = (await res.json()) as { prompt_id: string };
  await new Promise<void>((resolve) => {
    const on = (d: WebSocket.RawData, bin: boolean): void => {
      if (bin) return;
      const m = JSON.parse(String(d)) as { type: string; data: { node?: string | null; prompt_id?: string } };
      if (m.type === 'executing' && m.data.node === null && m.data.prompt_id === id) { ws.off('message', on); resolve(); }
    };
    ws.on('message', on);
  });
  await (await fetch(`${url}/history/${id}`)).json();
}

async function main(): Promise<void> {
  const server = await startFakeComfy();
  const client = new ComfyClient(server.url);
  await client.connect();
  const bareId = 'bench-bare';
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws?clientId=${bareId}`);
  await new Promise((r) => ws.once('open', r));
  const t = { client: 0, hand: 0, rtt: 0 };
  const time = async (fn: () => Promise<unknown>): Promise<number> => { const t0 = process.hrtime.bigint(); await fn(); return Number(process.hrtime.bigint() - t0) / 1e6; };
  for (let i = 0; i < 20; i++) { await client.run(prompt(1000 + i)); await byHand(server.url, ws, bareId, prompt(2000 + i)); } // warm-up
  for (let i = 0; i < jobs; i++) {
    // Alternate the order so that neither side always runs on a warmer server.
    const a = (): Promise<number> => time(() => client.run(prompt(3000 + i)));
    const b = (): Promise<number> => time(() => byHand(server.url, ws, bareId, prompt(6000 + i)));
    if (i % 2 === 0) { t.client += await a(); t.hand += await b(); } else { t.hand += await b(); t.client += await a(); }
    t.rtt += await time(async () => (await fetch(`${server.url}/queue`)).json());
  }
  ws.close();
  client.close();
  await server.close();
  const per = { client: t.client / jobs, hand: t.hand / jobs, rtt: t.rtt / jobs };
  process.stdout.write(`jobs: ${jobs} (sequential, 3-node IMAGE prompt, test server, no simulated work)\n`);
  process.stdout.write(`per job: client ${per.client.toFixed(2)} ms, by hand ${per.hand.toFixed(2)} ms; bare HTTP round trip ${per.rtt.toFixed(2)} ms\n`);
  process.stdout.write(`client / by hand: ${(per.client / per.hand).toFixed(2)}x (target <= 2x)\n`);
  process.stdout.write(`client overhead (client - by hand) in bare round trips: ${((per.client - per.hand) / per.rtt).toFixed(2)}\n`);
}

await main();
