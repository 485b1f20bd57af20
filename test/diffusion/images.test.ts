import { test } from 'node:test';
import assert from 'node:assert/strict';
import { samplesToNetworkInput, toUint8Images } from '../../src/diffusion/images.js';
import type { SampleSet } from '../../src/diffusion/sampler.js';
import { isDpError } from '../../src/errors.js';

// Two 2-channel 1×2 images, [N,C,H,W] = [2,2,1,2], pixel range [-1, 1].
const samples: SampleSet = {
  data: Float32Array.from([-1, 1, 0, 0.5, /* image 2 */ -2, 2, 1, -1]),
  dims: [2, 2, 1, 2],
  pixelRange: [-1, 1],
};

test('toUint8Images: range → 0..255, rounded and clamped, channel-last', () => {
  const images = toUint8Images(samples);
  assert.equal(images.length, 2);
  // image 1: pixel 0 = (ch0 −1 → 0, ch1 0 → 128 (127.5 rounds up)), pixel 1 = (1 → 255, 0.5 → 191 (191.25))
  assert.deepEqual([...images[0]!.data], [0, 128, 255, 191]);
  assert.deepEqual([...images[1]!.data], [0, 255, 255, 0]);
  assert.deepEqual([images[0]!.width, images[0]!.height, images[0]!.channels], [2, 1, 2]);
});

test('samplesToNetworkInput: the pixel range maps to [0,1], then (u − mean)/std per channel', () => {
  const x = samplesToNetworkInput(samples, { mean: [0.5, 0], std: [0.5, 2] });
  // ch0 (mean .5, std .5): u = 0, 1 → −1, 1; ch1 (mean 0, std 2): u = .5, .75 → .25, .375
  assert.deepEqual([...x.subarray(0, 4)], [-1, 1, 0.25, 0.375]);
  assert.deepEqual([...x.subarray(4)], [-2, 2, 0.5, 0]);
  assert.throws(() => samplesToNetworkInput(samples, { mean: [0.5], std: [0.5] }),
    (e: unknown) => isDpError(e, 'PACK_INVALID') && e.message === 'normalise has 1 means and 1 stds for 2 channel(s)');
});
