/**
 * The frontend's legacy module `/scripts/app.js` (reference/comfyui.md §6), typed from
 * @comfyorg/comfyui-frontend-types. The extension imports it as `../../scripts/app.js`, the path it has when
 * served from /extensions/<plugin>/; web/src mirrors the served tree (src/extensions/<plugin>/ and src/scripts/), so that path resolves here.
 * Declarations only: nothing of the frontend is copied or emitted.
 */
import type { ComfyApp } from '@comfyorg/comfyui-frontend-types';

/** The running ComfyUI app: `registerExtension` is the entry point of every extension. */
export declare const app: ComfyApp;
