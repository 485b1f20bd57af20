/**
 * Identity for the privacy ledger: who is which image, which set is which, and which release is which.
 *
 * An image is identified by a keyed hash (HMAC-SHA256) of its decoded pixels, never by a path or a name, so
 * the ledger database holds nothing that names or shows a private image, and nobody without the ledger's key
 * can test whether a given image is in it (a plain hash would allow that by hashing candidates).
 *
 * Canonical pixel encoding, version 1 (docs/ledger.md; every caller must feed the same bytes for the same
 * picture, or one picture gets two budgets):
 *   UTF-8 "dp-hyperlora/image-pixels/v1", one 0x00 byte,
 *   width (uint32 big-endian), height (uint32 big-endian), channels (uint8, always 3),
 *   then the RGB uint8 samples row-major (r,g,b of pixel (0,0), then (1,0), ...), top row first.
 * Greyscale input (1 channel) is expanded to R = G = B = the grey value. Alpha is refused: callers flatten it
 * the way the model sees the image, so the bytes hashed are the bytes the model uses.
 *
 * Pure: node:crypto only, no filesystem.
 */
import { createHmac } from 'node:crypto';
import { DpHyperLoraError } from '../errors.js';

/** Length of the ledger's secret HMAC key, in bytes. */
export const LEDGER_KEY_BYTES = 32;

/** Version tag at the start of the canonical pixel encoding (bump it only with a ledger schema migration). */
export const IMAGE_ENCODING_TAG = 'dp-hyperlora/image-pixels/v1';

const SET_ENCODING_TAG = 'dp-hyperlora/image-set/v1';
const KEY_CHECK_TAG = 'dp-hyperlora/key-check/v1';
const IMAGE_ID_PATTERN = /^[0-9a-f]{64}$/;

/** An image's identity in the ledger: 64 lowercase hex digits, HMAC-SHA256 of its canonical pixel encoding. */
export type ImageId = string & { readonly __brand: 'ImageId' };

/** Pixel layouts accepted by {@link imageIdFromPixels}: greyscale or RGB, uint8 per sample. */
export type PixelChannels = 1 | 3;

function checkKey(key: Uint8Array): void {
  if (key.length !== LEDGER_KEY_BYTES) {
    throw new DpHyperLoraError('INTERNAL', `ledger key has ${key.length} bytes, expected ${LEDGER_KEY_BYTES}. This is a bug; please report it.`);
  }
}

function checkDimension(name: 'width' | 'height', value: number): void {
  // The value itself describes a private image, so the message names the parameter only.
  if (!Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    throw new DpHyperLoraError('INVALID_INPUT_DATA', `image ${name} must be a positive integer below 2^32. Pass the decoded image's ${name} in pixels.`);
  }
}

/**
 * The ledger identity of one decoded image: HMAC-SHA256 (keyed by the ledger's secret) of the canonical
 * pixel encoding described in the module comment. Same pixels and key give the same id; one changed sample
 * or another key gives another id.
 *
 * @param key the ledger's 32-byte secret (never leaves the ledger).
 * @param pixels uint8 samples, row-major, interleaved channels, top row first. ComfyUI float images in
 *   [0, 1] convert exactly with `Math.round(x * 255)`.
 */
export function imageIdFromPixels(key: Uint8Array, pixels: Uint8Array, width: number, height: number, channels: number): ImageId {
  checkKey(key);
  checkDimension('width', width);
  checkDimension('height', height);
  if (channels !== 1 && channels !== 3) {
    throw new DpHyperLoraError('INVALID_INPUT_DATA',
      `image channels must be 1 (grey) or 3 (RGB), got ${channels}. Flatten alpha (4 channels) the way the model sees the image, then pass RGB.`);
  }
  if (pixels.length !== width * height * channels) {
    throw new DpHyperLoraError('INVALID_INPUT_DATA',
      'the pixel buffer length does not equal width × height × channels. Pass the decoded uint8 samples of exactly one image.');
  }
  const header = Buffer.alloc(IMAGE_ENCODING_TAG.length + 1 + 9);
  let at = header.write(IMAGE_ENCODING_TAG, 0, 'utf8');
  at = header.writeUInt8(0, at);
  at = header.writeUInt32BE(width, at);
  at = header.writeUInt32BE(height, at);
  header.writeUInt8(3, at);
  const mac = createHmac('sha256', key).update(header);
  if (channels === 3) {
    mac.update(pixels);
  } else {
    // Expand grey to RGB so that a grey picture decoded as 1 or as 3 channels gets one identity.
    const rgb = Buffer.alloc(pixels.length * 3);
    for (let i = 0; i < pixels.length; i += 1) {
      const v = pixels[i] as number;
      rgb[3 * i] = v;
      rgb[3 * i + 1] = v;
      rgb[3 * i + 2] = v;
    }
    mac.update(rgb);
  }
  return mac.digest('hex') as ImageId;
}

/** True when `value` has the form of an image id (64 lowercase hex digits). */
export function isImageId(value: unknown): value is ImageId {
  return typeof value === 'string' && IMAGE_ID_PATTERN.test(value);
}

/**
 * The fingerprint of a set of images: HMAC-SHA256 over the sorted, de-duplicated ids (as raw 32-byte values
 * after the tag "dp-hyperlora/image-set/v1" and a 0x00 byte). Order and repeats do not change it; it is keyed,
 * so it says nothing about the set to anyone without the ledger's key.
 */
export function setFingerprint(key: Uint8Array, imageIds: readonly ImageId[]): string {
  checkKey(key);
  const sorted = [...new Set(imageIds)].sort();
  const mac = createHmac('sha256', key).update(SET_ENCODING_TAG, 'utf8').update(Buffer.from([0]));
  for (const id of sorted) {
    if (!isImageId(id)) throw new DpHyperLoraError('INVALID_ARGUMENT', 'an image id is not 64 lowercase hex digits. Pass ids made by Ledger.identify().');
    mac.update(Buffer.from(id, 'hex'));
  }
  return mac.digest('hex');
}

/**
 * A value stored in a ledger database to check, at every open, that the key file beside it is the key the
 * ledger was created with (a swapped key would silently give every image a fresh budget).
 */
export function keyCheckValue(key: Uint8Array): string {
  checkKey(key);
  return createHmac('sha256', key).update(KEY_CHECK_TAG, 'utf8').digest('hex');
}

/** A JSON value: what release parameters and stored release values may contain. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * Canonical JSON of `value`: object keys sorted (by UTF-16 code units, as RFC 8785), no whitespace, numbers
 * as ECMAScript prints them. Two equal parameter objects give one string whatever their key order, which is
 * what makes a release's identity stable. Hand-written (a dozen lines) rather than a dependency; refuses what
 * JSON cannot carry exactly (NaN, ±Infinity, undefined, functions, class instances such as typed arrays).
 *
 * @param what names the value in error messages (e.g. "release parameters").
 */
export function canonicalJson(value: unknown, what: string): string {
  const problems: string[] = [];
  const walk = (v: unknown, path: string): string => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number') {
      if (Number.isFinite(v)) return JSON.stringify(v);
      problems.push(`${path} is ${String(v)}`);
      return 'null';
    }
    if (Array.isArray(v)) return `[${v.map((x, i) => walk(x, `${path}[${i}]`)).join(',')}]`;
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      const entries = Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${walk((v as Record<string, unknown>)[k], `${path}.${k}`)}`);
      return `{${entries.join(',')}}`;
    }
    problems.push(`${path} is ${typeof v === 'object' ? 'an instance of a class' : typeof v}`);
    return 'null';
  };
  const text = walk(value, '$');
  if (problems.length > 0) {
    throw new DpHyperLoraError('INVALID_ARGUMENT',
      `${what} must be plain JSON: ${problems.join('; ')}. Use finite numbers, strings, booleans, null, arrays (Array.from for typed arrays) and plain objects.`);
  }
  return text;
}
