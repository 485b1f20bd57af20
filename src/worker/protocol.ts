/**
 * The bridge protocol (version 1) is comfyui-node-ts-sdk's (packages/comfyui-node-ts-sdk/src/protocol.ts describes
 * it; its Python side is the SDK's python/comfy_ts_bridge/hub.py). What is ours: the route on ComfyUI's server and
 * the environment variable that carries a spawned worker's token.
 */
export {
  blobEntrySchema,
  bridgeMessageSchema,
  describeIssues,
  PROTOCOL_VERSION,
  tensorRefSchema,
  wireFileSchema,
  wireValueSchema,
  workerMessageSchema,
  type BridgeMessage,
  type WireValue,
  type WorkerMessage,
} from 'comfyui-node-ts-sdk';

/** The path of the bridge's WebSocket route on ComfyUI's server. */
export const WORKER_ROUTE = '/dp_hyperlora/worker';

/** Environment variable through which a locally spawned worker receives its token. */
export const TOKEN_ENV = 'DP_HYPERLORA_WORKER_TOKEN';
