/**
 * Start-up check in the frontend: when ComfyUI loaded the plugin but its Node.js worker cannot start (Node.js
 * missing or too old, or `npm ci` never ran), the bridge says so in ComfyUI's log at start-up and serves the
 * same one line at GET /dp_hyperlora/status. This extension reads it once, when the app is set up, and shows it
 * as a sticky error toast, so an artist learns what to install before queueing a prompt, not after.
 * The line is an install instruction only; nothing about anyone's images is in it.
 */
import type { ComfyApp, ComfyExtension } from '@comfyorg/comfyui-frontend-types';
import { api } from '../../scripts/api.js';
import { app } from '../../scripts/app.js';

/** The bridge's status route (the frontend's fetchApi adds ComfyUI's /api prefix). */
export const STATUS_ROUTE = '/dp_hyperlora/status';

/** What the status route answers. */
export interface StartupStatus {
  readonly ok: boolean;
  readonly name: string;
  readonly problem: string | null;
}

/** The status from the route's JSON, or undefined when it is not the expected shape. */
export function parseStatus(body: unknown): StartupStatus | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { ok, name, problem } = body as Record<string, unknown>;
  if (typeof ok !== 'boolean' || typeof name !== 'string' || (problem !== null && typeof problem !== 'string')) return undefined;
  return { ok, name, problem };
}

/** Fetches the status and, when the worker cannot start, shows a sticky error toast with what to install. */
export async function showStartupProblem(comfy: ComfyApp): Promise<void> {
  const response = await api.fetchApi(STATUS_ROUTE);
  if (!response.ok) return;
  const status = parseStatus(await response.json());
  if (status === undefined || status.ok) return;
  comfy.extensionManager.toast.add({
    severity: 'error',
    summary: `${status.name}: the worker cannot start, so its nodes will fail`,
    detail: status.problem ?? 'see the ComfyUI log for the reason',
  });
}

/** The extension object (exported for tests; the module registers it on import). */
export const startupExtension: ComfyExtension = {
  name: 'dp-hyperlora.startup-check',
  async setup(comfy) {
    await showStartupProblem(comfy);
  },
};

app.registerExtension(startupExtension);
