/**
 * The logger: the only place outside src/cli allowed to write to the console. Lines go to stderr so that
 * stdout stays clean for --json output. Never log private values (embeddings, pixel data, private file
 * names, exact n under add/remove); log public quantities and counts of files only.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

function envLevel(): LogLevel {
  const v = process.env.DP_HYPERLORA_LOG;
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' || v === 'silent' ? v : 'info';
}

let threshold: LogLevel = envLevel();

/** Sets the minimum level that is written. */
export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

function write(level: Exclude<LogLevel, 'silent'>, scope: string, message: string): void {
  if (ORDER[level] < ORDER[threshold]) return;
  process.stderr.write(`[dp-hyperlora ${level}] ${scope}: ${message}\n`);
}

/** A logger bound to one scope (a module or subsystem name). */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Returns a logger whose lines are prefixed with `scope`. */
export function logger(scope: string): Logger {
  return {
    debug: (m) => write('debug', scope, m),
    info: (m) => write('info', scope, m),
    warn: (m) => write('warn', scope, m),
    error: (m) => write('error', scope, m),
  };
}
