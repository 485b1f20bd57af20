/**
 * How to run this project's command line from wherever it is installed, for messages that suggest a command.
 * A ComfyUI-Manager install puts no `dp-hyperlora` on PATH, but it needs Node.js, so `node "<plugin>/bin/dp-hyperlora.js"`
 * works in every install (ComfyUI plugin folder, a clone, or an npm install). No I/O: the path comes from this
 * module's own URL (src/ under tsx, dist/src/ when built).
 */
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the folder that holds bin/dp-hyperlora.js. */
function projectRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = `${sep}dist${sep}src`;
  return here.endsWith(built) ? here.slice(0, -built.length) : dirname(here);
}

/** `node "<root>/bin/dp-hyperlora.js"`, quoted for a shell, to prefix a suggested command's arguments. */
export function cliInvocation(): string {
  return `node "${join(projectRoot(), 'bin', 'dp-hyperlora.js')}"`;
}
