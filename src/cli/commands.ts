/** The list of CLI commands. Each entry registers one command (defined in its own file) on the program. */
import type { Command } from 'commander';
import { registerWorker } from './worker.js';
import { registerGenerate } from './generate.js';
import { registerDemo } from './demo.js';
import { registerEval } from './eval.js';
import { registerLedger } from './ledger.js';
import { registerBatch } from './batch.js';

/** Registers a command; `setStatus` sets the process exit status when the command finishes. */
export type RegisterCommand = (program: Command, setStatus: (status: number) => void) => void;

export const COMMANDS: readonly RegisterCommand[] = [registerWorker, registerGenerate, registerDemo, registerEval, registerLedger, registerBatch];
