import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, imageIdFromPixels, isImageId, keyCheckValue, setFingerprint, type ImageId } from '../../src/dp/identity.js';
import { isDpError } from '../../src/errors.js';

// Golden values computed independently with Python's hmac module from the encoding documented in
// src/dp/identity.ts and docs/ledger.md:
//   HMAC-SHA256(key, b'dp-hyperlora/image-pixels/v1\x00' + struct.pack('>IIB', w, h, 3) + rgb_bytes)
const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const RGB_2X1 = 'd0f14f6db1de1a305ad5037292f03aceee6a02cd1961b73b7625f1a226766631';
const GREY_2X1 = 'f65148636df1e2254ef4f36324ce0f6445aa2195425b92a4446eac7a7abc4977';
const RGB_1X1 = '3bbc54381ee7b19d370a183a6c7f6a5cfb3e54474862f997056fab95f3e63c1c';
const SET_OF_TWO = '489576fb8cc844a348e6c411ebd052c2c7237205e34820f379231e6d4849d398';
const KEY_CHECK = 'ad8535e1ebedb9dd367714504bafa4e2bf56264a4c225a5a5d61d0eb782909d0';

test('image id matches the documented canonical encoding (golden values from Python hmac)', () => {
  assert.equal(imageIdFromPixels(KEY, Uint8Array.from([0, 128, 255, 10, 20, 30]), 2, 1, 3), RGB_2X1);
  assert.equal(imageIdFromPixels(KEY, Uint8Array.from([1, 2, 3]), 1, 1, 3), RGB_1X1);
  assert.equal(keyCheckValue(KEY), KEY_CHECK);
});

test('grey pixels are expanded to RGB, so grey decoded as 1 or 3 channels has one identity', () => {
  assert.equal(imageIdFromPixels(KEY, Uint8Array.from([7, 200]), 2, 1, 1), GREY_2X1);
  assert.equal(imageIdFromPixels(KEY, Uint8Array.from([7, 7, 7, 200, 200, 200]), 2, 1, 3), GREY_2X1);
});

test('same pixels give the same id; one changed sample, another shape or another key give another id', () => {
  const pixels = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256);
  const id = imageIdFromPixels(KEY, pixels, 4, 3, 3);
  assert.ok(isImageId(id));
  assert.equal(imageIdFromPixels(KEY, Uint8Array.from(pixels), 4, 3, 3), id);
  const changed = Uint8Array.from(pixels);
  changed[17] = (changed[17] as number) ^ 1;
  assert.notEqual(imageIdFromPixels(KEY, changed, 4, 3, 3), id);
  assert.notEqual(imageIdFromPixels(KEY, pixels, 3, 4, 3), id, 'width and height are part of the encoding');
  const otherKey = Uint8Array.from(KEY);
  otherKey[0] = 255;
  assert.notEqual(imageIdFromPixels(otherKey, pixels, 4, 3, 3), id);
});

test('bad pixel input is refused without naming its values', () => {
  const cases: Array<[() => unknown, RegExp]> = [
    [() => imageIdFromPixels(KEY, new Uint8Array(8), 2, 1, 4), /^image channels must be 1 \(grey\) or 3 \(RGB\), got 4\. Flatten alpha/],
    [() => imageIdFromPixels(KEY, new Uint8Array(5), 2, 1, 3), /^the pixel buffer length does not equal width × height × channels\./],
    [() => imageIdFromPixels(KEY, new Uint8Array(0), 0, 1, 3), /^image width must be a positive integer below 2\^32\./],
    [() => imageIdFromPixels(KEY, new Uint8Array(3), 1, 1.5, 3), /^image height must be a positive integer below 2\^32\./],
  ];
  for (const [call, message] of cases) {
    assert.throws(call, (e: unknown) => isDpError(e, 'INVALID_INPUT_DATA') && message.test(e.message));
  }
  assert.throws(() => imageIdFromPixels(new Uint8Array(16), new Uint8Array(3), 1, 1, 3), (e: unknown) => isDpError(e, 'INTERNAL'));
});

test('set fingerprint ignores order and repeats, and changes with membership', () => {
  const a = RGB_2X1 as ImageId;
  const b = RGB_1X1 as ImageId;
  assert.equal(setFingerprint(KEY, [a, b]), SET_OF_TWO);
  assert.equal(setFingerprint(KEY, [b, a, b]), SET_OF_TWO);
  assert.notEqual(setFingerprint(KEY, [a]), SET_OF_TWO);
  assert.throws(() => setFingerprint(KEY, ['nothex' as ImageId]), (e: unknown) => isDpError(e, 'INVALID_ARGUMENT'));
});

test('canonical JSON sorts keys at every depth and refuses what JSON cannot carry', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, 'x', null, true], c: -0 } }, 'p'), '{"a":{"c":0,"d":[1,"x",null,true]},"b":1}');
  assert.equal(canonicalJson({ a: 1, b: 2 }, 'p'), canonicalJson({ b: 2, a: 1 }, 'p'));
  assert.equal(canonicalJson([0.1, 1e-5, 2 ** 60], 'p'), '[0.1,0.00001,1152921504606847000]');
  assert.throws(() => canonicalJson({ e: Number.NaN, f: [Infinity], g: undefined, h: new Float32Array(1) }, 'release parameters'), (e: unknown) =>
    isDpError(e, 'INVALID_ARGUMENT')
    && e.message === 'release parameters must be plain JSON: $.e is NaN; $.f[0] is Infinity; $.g is undefined; $.h is an instance of a class. '
      + 'Use finite numbers, strings, booleans, null, arrays (Array.from for typed arrays) and plain objects.');
});

test('an image id is exactly 64 lowercase hex digits: nothing before or after them', () => {
  const hex = 'ab'.repeat(32);
  assert.ok(isImageId(hex));
  for (const bad of [`x${hex}`, `${hex}x`, `${hex}0`, hex.toUpperCase(), hex.slice(1), 42]) assert.equal(isImageId(bad), false, String(bad));
  assert.throws(() => setFingerprint(new Uint8Array(32), [`${hex}0` as ImageId]),
    { code: 'INVALID_ARGUMENT', message: 'an image id is not 64 lowercase hex digits. Pass ids made by Ledger.identify().' });
  assert.throws(() => setFingerprint(new Uint8Array(31), [hex as ImageId]),
    { code: 'INTERNAL', message: 'ledger key has 31 bytes, expected 32. This is a bug; please report it.' });
});

test('a dimension of exactly 2^32 − 1 passes the range check (and then fails the length check); 2^32 does not', () => {
  const key = new Uint8Array(32);
  const pixels = Uint8Array.of(1, 2, 3);
  assert.throws(() => imageIdFromPixels(key, pixels, 0xffffffff, 1, 1),
    { code: 'INVALID_INPUT_DATA', message: 'the pixel buffer length does not equal width × height × channels. Pass the decoded uint8 samples of exactly one image.' });
  assert.throws(() => imageIdFromPixels(key, pixels, 1, 2 ** 32, 1),
    { code: 'INVALID_INPUT_DATA', message: "image height must be a positive integer below 2^32. Pass the decoded image's height in pixels." });
});
