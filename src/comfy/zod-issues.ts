/** One-line rendering of zod problems for error messages: `path: message; path: message`. */
import type { z } from 'zod';

/** Lists the issues of a failed parse on one line, each with its path (`(root)` for the top level); at most `limit`, then a count. */
export function issuesLine(error: z.ZodError, limit = 10): string {
  const shown = error.issues.slice(0, limit).map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`);
  const more = error.issues.length - shown.length;
  return more > 0 ? `${shown.join('; ')}; and ${more} more` : shown.join('; ');
}
