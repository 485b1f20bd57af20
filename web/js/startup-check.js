// Generated from web/src/extensions/dp-hyperlora/startup-check.ts by scripts/build-web.mjs; edit the source, then run `npm run build:web`.
import { api } from '../../scripts/api.js';
import { app } from '../../scripts/app.js';
/** The bridge's status route (the frontend's fetchApi adds ComfyUI's /api prefix). */
export const STATUS_ROUTE = '/dp_hyperlora/status';
/** The status from the route's JSON, or undefined when it is not the expected shape. */
export function parseStatus(body) {
    if (typeof body !== 'object' || body === null)
        return undefined;
    const { ok, name, problem } = body;
    if (typeof ok !== 'boolean' || typeof name !== 'string' || (problem !== null && typeof problem !== 'string'))
        return undefined;
    return { ok, name, problem };
}
/** Fetches the status and, when the worker cannot start, shows a sticky error toast with what to install. */
export async function showStartupProblem(comfy) {
    const response = await api.fetchApi(STATUS_ROUTE);
    if (!response.ok)
        return;
    const status = parseStatus(await response.json());
    if (status === undefined || status.ok)
        return;
    comfy.extensionManager.toast.add({
        severity: 'error',
        summary: `${status.name}: the worker cannot start, so its nodes will fail`,
        detail: status.problem ?? 'see the ComfyUI log for the reason',
    });
}
/** The extension object (exported for tests; the module registers it on import). */
export const startupExtension = {
    name: 'dp-hyperlora.startup-check',
    async setup(comfy) {
        await showStartupProblem(comfy);
    },
};
app.registerExtension(startupExtension);
