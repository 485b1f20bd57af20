/**
 * The worker's connection against a real WebSocket server on port 0 that plays the bridge's part of protocol v1
 * (bearer token at the upgrade, hello → welcome, execute → result), and a server that refuses the token.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { isDpError } from '../../src/errors.js';
import { VERSION } from '../../src/version.js';
import { connectOnce } from '../../src/worker/connection.js';
import { NODE_CATEGORY, type NodeDefinition } from '../../src/worker/node-definition.js';
import { NodeHost } from '../../src/worker/node-host.js';
import { workerMessageSchema, type WorkerMessage } from '../../src/worker/protocol.js';

const echo: NodeDefinition = {
  id: 'DPHyperLoRA_Echo', displayName: 'Echo', category: NODE_CATEGORY, description: 'returns its input', inputs: [], outputs: [], outputNode: true,
  execute: async (inputs) => ({ outputs: { out: inputs.x ?? { kind: 'none' } }, ui: { text: ['echoed'] } }),
};

async function bridge(token: string, onSocket: (ws: WebSocket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, onSocket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/dp_hyperlora/worker`,
    close: () => new Promise((r) => { wss.close(); server.close(() => r()); }),
  };
}

test('hello, welcome, execute and result over a real socket; the worker exits when the bridge closes', async () => {
  const seen: WorkerMessage[] = [];
  const b = await bridge('t0k', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const m = workerMessageSchema.parse(JSON.parse(String(data)));
      seen.push(m);
      if (m.type === 'hello') {
        ws.send(JSON.stringify({ type: 'welcome', protocol: 1 }));
        ws.send(JSON.stringify({ type: 'execute', id: 'c1', node: 'DPHyperLoRA_Echo', inputs: { x: { kind: 'json', value: { eps: 1 } } } }));
      }
      if (m.type === 'result') ws.close(1000);
    });
  });
  const host = new NodeHost([echo], { settings: { ledgerPath: undefined, packDirs: [] } });
  const code = await connectOnce({ url: b.url, token: 't0k', host, reconnect: false });
  await b.close();
  assert.equal(code, 1000);
  const hello = seen[0];
  assert.ok(hello?.type === 'hello');
  assert.deepEqual([hello.protocol, hello.version, hello.nodes], [1, VERSION, ['DPHyperLoRA_Echo']]);
  const result = seen.find((m) => m.type === 'result');
  assert.ok(result?.type === 'result');
  assert.deepEqual(result.outputs, { out: { kind: 'json', value: { eps: 1 } } });
  assert.deepEqual(result.ui, { text: ['echoed'] });
});

test('a refused token is AUTH_FAILED, with the fix in the message and without the token', async () => {
  const b = await bridge('right', () => assert.fail('must not upgrade'));
  const host = new NodeHost([echo], { settings: { ledgerPath: undefined, packDirs: [] } });
  await assert.rejects(connectOnce({ url: b.url, token: 'wrong-secret', host, reconnect: false }), (e: unknown) => isDpError(e, 'AUTH_FAILED')
    && e.message === `the bridge at ${b.url} refused this worker's token (HTTP 401); pass the token file the bridge wrote (--token-file) or let ComfyUI start the worker itself.`
    && !e.message.includes('wrong-secret'));
  await b.close();
});
