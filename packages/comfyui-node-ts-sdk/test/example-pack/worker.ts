/**
 * The example pack's worker. The bridge starts it as `node --import tsx worker.ts <bridge URL>` in the pack folder,
 * with the token in EXAMPLE_INVERT_WORKER_TOKEN; it serves until the bridge closes the connection.
 * `node --import tsx worker.ts --manifest` prints the node manifest (nodes/manifest.json).
 */
import { NodeHost, nodeManifestText, serveBridge } from '../../src/index.js';
import { NODES, PACK } from './nodes/invert.js';

const arg = process.argv[2];
if (arg === '--manifest') {
  process.stdout.write(nodeManifestText(NODES, PACK));
} else {
  const token = process.env.EXAMPLE_INVERT_WORKER_TOKEN;
  if (arg === undefined || token === undefined) {
    process.stderr.write('usage: EXAMPLE_INVERT_WORKER_TOKEN=… node --import tsx worker.ts ws://HOST:PORT/example_invert/worker\n');
    process.exit(2);
  }
  const host = new NodeHost(NODES, { settings: undefined });
  await serveBridge({ url: arg, token, host, version: PACK.version, route: '/example_invert/worker', reconnect: false, shm: { prefix: 'example-invert', offEnv: 'EXAMPLE_INVERT_SHM' } });
}
