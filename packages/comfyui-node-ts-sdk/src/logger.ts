/**
 * Where the SDK's worker side writes its log lines. A node pack passes its own logger; the default is silent,
 * so the SDK never writes to the console by itself.
 */

/** A logger the worker host and the connection write to. */
export interface SdkLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A logger that drops every line. */
export const SILENT_LOGGER: SdkLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
