/**
 * The frontend's legacy module `/scripts/api.js` (reference/comfyui.md §6: a legacy extension imports `api` from
 * "../../scripts/api.js"), typed from @comfyorg/comfyui-frontend-types. Extensions fetch through it rather than
 * through `app.api`: the module exists in every frontend since the TypeScript rewrite, while older ones (seen in a
 * real browser with frontend 1.4.13, docs/frontend.md) have no `app.api`, and a hook that read it threw.
 * Declarations only: nothing of the frontend is copied or emitted.
 */
import type { ComfyApi } from '@comfyorg/comfyui-frontend-types';

/** The ComfyUI server client: `fetchApi(route)` requests `/api` + route on the page's origin. */
export declare const api: ComfyApi;
