/**
 * `dp-hyperlora worker`: runs the TypeScript worker that executes the DP nodes for the ComfyUI bridge.
 * ComfyUI normally spawns it itself (token in the environment). To run it on another machine (say, one with
 * a GPU): `dp-hyperlora worker --comfy ws://HOST:PORT/dp_hyperlora/worker --token-file F`.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { DpHyperLoraError } from '../errors.js';
import { serveBridge } from '../worker/connection.js';
import { NodeHost } from '../worker/node-host.js';
import { sweepStaleShmDirs } from '../worker/shared-memory.js';
import { TOKEN_ENV } from '../worker/protocol.js';
import type { RegisterCommand } from './commands.js';

const optionsSchema = z.object({
  comfy: z.string().regex(/^wss?:\/\/[^/]+\/.*$/, 'must be a ws:// or wss:// URL such as ws://127.0.0.1:8188/dp_hyperlora/worker'),
  tokenFile: z.string().min(1).optional(),
  ledger: z.string().min(1).optional(),
  packs: z.array(z.string().min(1)).default([]),
  once: z.boolean().default(false),
});

async function readToken(tokenFile: string | undefined): Promise<{ token: string; fromFile: boolean }> {
  if (tokenFile !== undefined) {
    const token = (await readFile(tokenFile, 'utf8').catch((e: unknown) => {
      throw new DpHyperLoraError('INVALID_ARGUMENT', `cannot read --token-file ${tokenFile} (${e instanceof Error ? e.message : String(e)}); copy the token file the bridge wrote (see docs/comfyui.md, remote worker).`);
    })).trim();
    if (token === '') throw new DpHyperLoraError('INVALID_ARGUMENT', `--token-file ${tokenFile} is empty; copy the token file the bridge wrote.`);
    return { token, fromFile: true };
  }
  const fromEnv = process.env[TOKEN_ENV];
  if (fromEnv === undefined || fromEnv === '') {
    throw new DpHyperLoraError('INVALID_ARGUMENT', `no token: pass --token-file F (the file the bridge wrote) or set ${TOKEN_ENV}.`);
  }
  return { token: fromEnv, fromFile: false };
}

/** Registers `worker`. */
export const registerWorker: RegisterCommand = (program: Command) => {
  program.command('worker')
    .description('run the worker that executes the DP nodes for ComfyUI (connects to the bridge)')
    .requiredOption('--comfy <url>', 'the bridge WebSocket, e.g. ws://127.0.0.1:8188/dp_hyperlora/worker')
    .option('--token-file <file>', 'file holding the bridge token (remote workers)')
    .option('--ledger <path>', 'privacy ledger database (default: the ledger default)')
    .option('--packs <dir...>', 'folders with packs, looked up by name when the bridge path does not exist here')
    .option('--once', 'exit when the connection closes instead of reconnecting')
    .action(async (raw: Record<string, unknown>) => {
      const parsed = optionsSchema.safeParse(raw);
      if (!parsed.success) {
        throw new DpHyperLoraError('INVALID_ARGUMENT', parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
      }
      const o = parsed.data;
      const { token, fromFile } = await readToken(o.tokenFile);
      // Loaded here, not at the top: the nodes pull in ONNX Runtime, sharp and SQLite, which other commands do not need.
      const { ALL_NODES, QUERY_NODES } = await import('../../nodes/index.js');
      sweepStaleShmDirs(); // shared-memory folders left when an earlier worker and its ComfyUI were both killed
      const host = new NodeHost([...ALL_NODES, ...QUERY_NODES], { settings: { ledgerPath: o.ledger, packDirs: o.packs } });
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      await serveBridge({ url: o.comfy, token, host, reconnect: fromFile && !o.once, signal: stop.signal });
    });
};
