/**
 * The `/object_info` entries ComfyUI serves for our nodes (comfyui-node-ts-sdk's object-info.ts, computed from
 * the node manifest the same way the SDK's Python registry builds INPUT_TYPES). Used to build and check the
 * example workflows without a running ComfyUI (test/workflows checks this against a capture from real ComfyUI
 * 0.3.64).
 */
export { nodeObjectInfo, type ObjectInfoInput, type ObjectInfoNode } from 'comfyui-node-ts-sdk';

/** The dropdown lists of our CHOICE inputs, which depend on the machine (folders on disk). */
export type ChoiceLists = {
  readonly packs: readonly string[];
  readonly input_folders: readonly string[];
};
