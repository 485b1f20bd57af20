import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ComfyClient } from '../../src/comfy/client.js';
import { DpHyperLoraError } from '../../src/errors.js';
import type { ApiPrompt } from '../../src/comfy/workflow-api.js';
import { startFakeComfy, type FakeComfy } from './fake-comfy-server.js';

function imagePrompt(width: number, height: number, prefix = 'batch'): ApiPrompt {
  return {
    '1': { class_type: 'LoadImage', inputs: { image: 'example.png' } },
    '2': { class_type: 'ImageScale', inputs: { image: ['1', 0], upscale_method: 'nearest-exact', width, height, crop: 'disabled' } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: prefix } },
  };
}

let server: FakeComfy;
before(async () => { server = await startFakeComfy(); });
after(async () => { await server.close(); });

async function withClient<T>(fn: (c: ComfyClient) => Promise<T>, opts: ConstructorParameters<typeof ComfyClient>[1] = {}): Promise<T> {
  const c = new ComfyClient(server.url, { backoff: { initialMs: 20, maxMs: 100 }, ...opts });
  await c.connect();
  try { return await fn(c); } finally { c.close(); }
}

test('success: outputs come from /history with the file SaveImage wrote', async () => {
  await withClient(async (c) => {
    const seen: number[] = [];
    const r = await c.run(imagePrompt(40, 30, 'ok'), { onProgress: (p) => seen.push(p.fraction) });
    assert.deepEqual(r.outputs, { '3': { images: [{ filename: 'ok_00001_.png', subfolder: '', type: 'output' }] } });
    assert.equal(seen.at(-1), 1);
    const png = Buffer.from(await (await c.rest.view({ filename: 'ok_00001_.png', subfolder: '', type: 'output' })).arrayBuffer());
    assert.equal(png.readUInt32BE(16), 40); // IHDR width
    assert.equal(png.readUInt32BE(20), 30);
  });
});

test('validation errors: HTTP 400 node_errors become one readable line per node', async () => {
  await withClient(async (c) => {
    const p = imagePrompt(-5, 30);
    (p['2'] as { inputs: Record<string, unknown> }).inputs.upscale_method = 'nope';
    await assert.rejects(c.run(p), (e: unknown) => {
      assert.ok(e instanceof DpHyperLoraError);
      assert.equal(e.code, 'COMFY_VALIDATION');
      assert.equal(e.message, `${server.url} rejected the prompt: Prompt outputs failed validation: node 2 (ImageScale): ` +
        `input "upscale_method": Value not in list (upscale_method: 'nope' not in ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos']); ` +
        'input "width": Value -5 smaller than min of 0. Fix these inputs in the workflow (or your --set/--vary values) and rerun.');
      return true;
    });
  });
});

test('execution errors reject with COMFY_EXECUTION naming node, type and exception', async () => {
  await withClient(async (c) => {
    await assert.rejects(c.run(imagePrompt(8, 8, '../escape')), (e: unknown) => {
      assert.ok(e instanceof DpHyperLoraError);
      assert.equal(e.code, 'COMFY_EXECUTION');
      assert.equal(e.message, `node 3 (SaveImage) failed on ${server.url}: Exception: **** ERROR: Saving image outside the output folder is not allowed. See the ComfyUI log for the traceback.`);
      assert.equal(e.details?.transient, false);
      return true;
    });
  });
});

test('socket dropped mid-run: the client reconnects and recovers the result from /history', async () => {
  server.setNodeMs(20);
  // The sockets drop the moment the prompt starts (an event, not a timer), and the outage (1.5 s) outlasts the
  // prompt (3 nodes × 20 ms): it normally ends while we are disconnected. On a machine so loaded that the prompt
  // outlasts the outage, the result arrives over the new socket instead; either way it settles after the outage.
  server.onExecutionStart(() => server.dropSockets(1500));
  try {
    await withClient(async (c) => {
      const t0 = Date.now();
      const r = await c.run(imagePrompt(24, 24, 'dropped'));
      assert.deepEqual(r.outputs, { '3': { images: [{ filename: 'dropped_00001_.png', subfolder: '', type: 'output' }] } });
      assert.ok(Date.now() - t0 >= 1500, 'settled only after the reconnect');
    });
  } finally {
    server.setNodeMs(0);
    server.onExecutionStart(() => undefined);
  }
});

test('interrupt: aborting the run interrupts the prompt on the server and rejects with CANCELLED', async () => {
  // Node 1 would work for a minute (nothing cached): the abort lands while it runs however loaded the machine.
  const fresh = await startFakeComfy({ nodeMs: 60_000 });
  const c = new ComfyClient(fresh.url, { backoff: { initialMs: 20, maxMs: 100 } });
  await c.connect();
  try {
    const ac = new AbortController();
    fresh.onExecutionStart(() => setTimeout(() => ac.abort(), 50));
    await assert.rejects(c.run(imagePrompt(16, 16, 'intr'), { signal: ac.signal }), (e: unknown) => {
      assert.ok(e instanceof DpHyperLoraError);
      assert.equal(e.code, 'CANCELLED');
      assert.equal(e.message, `the prompt was interrupted on ${fresh.url} at node 1 (LoadImage).`);
      assert.equal(e.details?.transient, false);
      return true;
    });
    assert.equal(fresh.interrupts, 1);
  } finally {
    c.close();
    await fresh.close();
  }
});

test('malformed /ws messages are rejected with COMFY_PROTOCOL and fail the job they name', async () => {
  // Nodes work for a minute, so the malformed message always arrives mid-run; the prompt is interrupted after.
  server.setNodeMs(60_000);
  try {
    await withClient(async (c) => {
      server.onExecutionStart((id) => setTimeout(() => server.sendRawForTest(JSON.stringify({ type: 'executing', data: { node: 7, prompt_id: id } })), 20));
      await assert.rejects(c.run(imagePrompt(12, 12, 'bad')), (e: unknown) => {
        assert.ok(e instanceof DpHyperLoraError);
        assert.equal(e.code, 'COMFY_PROTOCOL');
        assert.equal(e.message, 'ComfyUI sent a malformed "executing" message on /ws: node: Invalid input: expected string, received number. ' +
          'This client speaks the ComfyUI 0.3.x /ws protocol; check that the --server URL points at ComfyUI and that its version is supported.');
        return true;
      });
    });
  } finally {
    server.setNodeMs(0);
    server.onExecutionStart(() => undefined);
    await fetch(`${server.url}/interrupt`, { method: 'POST' });
  }
});

test('a server that dies: in-flight jobs fail with a transient COMFY_HTTP error after the give-up time', async () => {
  const dying = await startFakeComfy({ nodeMs: 60_000 }); // the kill, not the clock, ends the prompt
  const c = new ComfyClient(dying.url, { backoff: { initialMs: 20, maxMs: 50 }, reconnectGiveUpMs: 300 });
  await c.connect();
  dying.onExecutionStart(() => setTimeout(() => { void dying.kill(); }, 30));
  try {
    await assert.rejects(c.run(imagePrompt(8, 8, 'dies')), (e: unknown) => {
      assert.ok(e instanceof DpHyperLoraError);
      assert.equal(e.code, 'COMFY_HTTP');
      assert.equal(e.message, `lost ComfyUI at ${dying.url}: no connection for 0 s.`);
      assert.equal(e.details?.transient, true);
      return true;
    });
    assert.equal(c.available, false);
  } finally {
    c.close();
  }
});

test('connect to a server that is not there fails with a transient COMFY_HTTP error', async () => {
  const gone = await startFakeComfy();
  const url = gone.url;
  await gone.close();
  const c = new ComfyClient(url, { backoff: { initialMs: 20, maxMs: 50 } });
  try {
    await assert.rejects(c.connect(), (e: unknown) => e instanceof DpHyperLoraError && e.code === 'COMFY_HTTP' &&
      e.message === `cannot open the ComfyUI websocket at ${url}/ws. Check that the server is running and the --server URL is right.`);
  } finally {
    c.close();
  }
});

test('upload, object_info and queue round-trip through the zod-checked REST client', async () => {
  await withClient(async (c) => {
    const png = Buffer.from(await (await c.rest.view({ filename: 'example.png', subfolder: '', type: 'input' })).arrayBuffer());
    const up = await c.rest.uploadImage(png, 'copy.png');
    assert.deepEqual(up, { name: 'copy.png', subfolder: '', type: 'input' });
    const info = await c.rest.objectInfo();
    assert.deepEqual(info.LoadImage?.input.required?.image?.[0], ['copy.png', 'example.png']);
    assert.deepEqual(await c.rest.queue(), { queue_running: [], queue_pending: [] });
  });
});
