/** The list of CLI commands. Each entry registers one command (defined in its own file) on the program. */
import type { Command } from 'commander';

/** Registers a command; `setStatus` sets the process exit status when the command finishes. */
export type RegisterCommand = (program: Command, setStatus: (status: number) => void) => void;

export const COMMANDS: readonly RegisterCommand[] = [];
