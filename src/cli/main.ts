/**
 * The `dp-hyperlora` command line. A thin adapter (Vite style): each command resolves loose user options
 * into one strict, zod-validated type and calls the library. Commands live one per file in src/cli/ and
 * are listed in ./commands.ts.
 */
import { Command, CommanderError } from 'commander';
import { commandsFor } from './commands.js';
import { reportError } from './output.js';
import { VERSION } from '../version.js';

/** Runs the CLI with `argv` (without node and script) and resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('dp-hyperlora')
    .description('Differentially private LoRA from a private image set: one noisy release, one hypernetwork pass.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  let status = 0;
  const setStatus = (s: number): void => { status = s; };
  try {
    for (const entry of commandsFor(argv)) (await entry.load())(program, setStatus);
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are "errors" to commander; they are successes to us.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    return reportError(e, argv.includes('--json'));
  }
  return status;
}
