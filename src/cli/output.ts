/** Output helpers shared by CLI commands: --json prints one JSON object on stdout, otherwise readable text. */
import { DpHyperLoraError, isDpError } from '../errors.js';

/** Prints `value` as JSON (when `json`) or as the human text produced by `human`. */
export function emit<T>(json: boolean, value: T, human: (v: T) => string): void {
  if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else process.stdout.write(`${human(value)}\n`);
}

/** Prints an error for the user and returns the exit status to use. */
export function reportError(e: unknown, json: boolean): number {
  const err = isDpError(e)
    ? e
    : new DpHyperLoraError('INTERNAL', `unexpected failure: ${e instanceof Error ? e.message : String(e)}. This is a bug; please report it.`, { cause: e });
  if (json) {
    process.stdout.write(`${JSON.stringify({ error: { code: err.code, message: err.message, details: err.details ?? {} } }, null, 2)}\n`);
  }
  process.stderr.write(`dp-hyperlora: error [${err.code}]: ${err.message}\n`);
  if (err.code === 'INTERNAL' && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return err.exitCode;
}
