import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { nodeErrorLines, validationError } from '../../src/comfy/node-errors.js';
import { PromptRejected } from '../../src/comfy/rest-schemas.js';

// HTTP 400 bodies recorded from a real ComfyUI 0.3.64 (see docs/batch.md).
const real = JSON.parse(readFileSync(new URL('./fixtures/real-comfyui-0.3.64.json', import.meta.url), 'utf8')) as { rest: Record<string, { body: unknown }> };
const body = (k: string): PromptRejected => PromptRejected.parse(real.rest[k]?.body);

test('per-node messages from real 400 replies', () => {
  assert.deepEqual(nodeErrorLines(body('prompt_400_custom')), ['node 1 (LoadImage): input "image": Custom validation failed for node (image - Invalid image file: missing.png)']);
  assert.deepEqual(nodeErrorLines(body('prompt_400_type_mismatch')), ['node 3 (SaveImage): input "images": Return type mismatch between linked nodes (images, received_type(MASK) mismatch input_type(IMAGE))']);
  assert.deepEqual(nodeErrorLines(body('prompt_400_dangling')), ["node 3 (SaveImage): Exception when validating node ('9')"]);
  const lines = nodeErrorLines(body('prompt_400_inputs'));
  assert.equal(lines.length, 1);
  // ComfyUI lists one node's errors in Python set order, which varies between runs: compare the parts.
  assert.deepEqual(lines[0]?.replace(/^node 2 \(ImageScale\): /, '').split('; ').sort(), [
    'input "crop": Required input is missing',
    'input "upscale_method": Value not in list (upscale_method: \'nope\' not in [\'nearest-exact\', \'bilinear\', \'area\', \'bicubic\', \'lanczos\'])',
    'input "width": Value -5 smaller than min of 0',
  ]);
});

test('prompt-level 400s (no node errors) become one COMFY_VALIDATION message', () => {
  const e = validationError(body('prompt_400_unknown_class'), 'http://gpu1:8188');
  assert.equal(e.code, 'COMFY_VALIDATION');
  assert.equal(e.message, "http://gpu1:8188 rejected the prompt: Cannot execute because node NoSuchNode does not exist. (Node ID '#4'). Fix these inputs in the workflow (or your --set/--vary values) and rerun.");
  assert.equal(validationError(body('prompt_400_no_outputs'), 'S').message, 'S rejected the prompt: Prompt has no outputs. Fix these inputs in the workflow (or your --set/--vary values) and rerun.');
});
