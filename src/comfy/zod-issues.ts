/** One-line rendering of zod problems for error messages: `path: message; path: message`, all of them. */
import type { z } from 'zod';

/** Lists every issue of a failed parse on one line, each with its path (`(root)` for the top level). */
export function issuesLine(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
