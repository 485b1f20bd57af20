/**
 * The frontend's legacy module `/scripts/app.js` (reference/comfyui.md §6), typed from
 * @comfyorg/comfyui-frontend-types. The extension imports it as `../../scripts/app.js`, the path it has when
 * served from /extensions/<plugin>/; web/tsconfig.json's `rootDirs` maps that path here for type-checking.
 * Declarations only: nothing of the frontend is copied or emitted.
 */
import type { ComfyApp } from '@comfyorg/comfyui-frontend-types';

/** The running ComfyUI app: `registerExtension` is the entry point of every extension. */
export declare const app: ComfyApp;
