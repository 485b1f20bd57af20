/**
 * The list of CLI commands. Each entry names one command (defined in its own file) and loads it lazily, so that
 * `dp-hyperlora ledger list` does not pay for importing onnxruntime and sharp.
 */
import type { Command } from 'commander';

/** Registers a command; `setStatus` sets the process exit status when the command finishes. */
export type RegisterCommand = (program: Command, setStatus: (status: number) => void) => void;

/** A command's name (its first word on the command line) and a loader for its registration function. */
export interface CommandEntry {
  readonly name: string;
  readonly load: () => Promise<RegisterCommand>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'demo', load: async () => (await import('./demo.js')).registerDemo },
  { name: 'generate', load: async () => (await import('./generate.js')).registerGenerate },
  { name: 'eval', load: async () => (await import('./eval.js')).registerEval },
  { name: 'calibrate', load: async () => (await import('./calibrate.js')).registerCalibrate },
  { name: 'account', load: async () => (await import('./account.js')).registerAccount },
  { name: 'ledger', load: async () => (await import('./ledger.js')).registerLedger },
  { name: 'worker', load: async () => (await import('./worker.js')).registerWorker },
  { name: 'batch', load: async () => (await import('./batch.js')).registerBatch },
  { name: 'bench', load: async () => (await import('./bench.js')).registerBench },
  { name: 'pack', load: async () => (await import('./pack.js')).registerPack },
];

/**
 * The commands to load for `argv`: only the named one when the first word is a known command, otherwise all of
 * them (for --help, --version, or to let commander report an unknown command with the full list).
 */
export function commandsFor(argv: readonly string[]): readonly CommandEntry[] {
  const first = argv.find((a) => !a.startsWith('-'));
  const hit = COMMANDS.find((c) => c.name === first);
  return hit ? [hit] : COMMANDS;
}
