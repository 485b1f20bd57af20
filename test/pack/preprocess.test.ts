import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { isDpError } from '../../src/errors.js';
import { listImageFolder, type FolderListing } from '../../src/pack/image-folder.js';
import { seededUniform } from '../helpers/onnx-builder.js';
import { decodeImage, encoderInput, type DecodedImage } from '../../src/pack/preprocess.js';
import { fastPngEligible } from '../../src/pack/png-fast-path.js';

function rgbAt(img: DecodedImage, x: number, y: number): [number, number, number] {
  const i = (y * img.width + x) * 3;
  return [img.rgb[i] as number, img.rgb[i + 1] as number, img.rgb[i + 2] as number];
}

function near(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  actual.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) <= tol, `${what}: got [${actual.join(',')}], expected ≈[${expected.join(',')}]`));
}

/** An 8×4 RGB image: left half red, right half blue. */
function halves(): Buffer {
  const px = Buffer.alloc(8 * 4 * 3);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) px.set(x < 4 ? [255, 0, 0] : [0, 0, 255], (y * 8 + x) * 3);
  return px;
}

test('EXIF orientation is applied: an orientation-6 JPEG decodes upright (90° clockwise)', async () => {
  const jpeg = await sharp(halves(), { raw: { width: 8, height: 4, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
  assert.equal((await sharp(jpeg).metadata()).orientation, 6);
  const img = await decodeImage(jpeg);
  assert.deepEqual([img.width, img.height], [4, 8]);
  near(rgbAt(img, 2, 1), [255, 0, 0], 40, 'top (was left) is red');
  near(rgbAt(img, 2, 6), [0, 0, 255], 40, 'bottom (was right) is blue');
});

test('RGBA PNG: alpha is flattened onto black', async () => {
  const px = Buffer.from([255, 255, 255, 0, 255, 0, 0, 255, 255, 255, 255, 128]);
  const png = await sharp(px, { raw: { width: 3, height: 1, channels: 4 } }).png().toBuffer();
  const img = await decodeImage(png);
  assert.deepEqual([img.width, img.height, img.rgb.length], [3, 1, 9]);
  assert.deepEqual(rgbAt(img, 0, 0), [0, 0, 0]);
  assert.deepEqual(rgbAt(img, 1, 0), [255, 0, 0]);
  near(rgbAt(img, 2, 0), [128, 128, 128], 1, 'half-transparent white');
});

test('grey PNG becomes R = G = B', async () => {
  const png = await sharp(Buffer.from([100, 200]), { raw: { width: 2, height: 1, channels: 1 } }).png().toBuffer();
  const img = await decodeImage(png);
  assert.deepEqual(Array.from(img.rgb), [100, 100, 100, 200, 200, 200]);
});

/** A minimal 16-bit RGB PNG (one row), written by hand because sharp's raw 16-bit input path rescales values. */
function png16(samples: readonly number[]): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(samples.length / 3, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr.set([16, 2, 0, 0, 0], 8);
  const row = Buffer.alloc(1 + samples.length * 2);
  samples.forEach((v, i) => row.writeUInt16BE(v, 1 + 2 * i));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(row)), chunk('IEND', Buffer.alloc(0))]);
}

test('16-bit PNG is scaled to 8 bits', async () => {
  const png = png16([0xffff, 0xffff, 0xffff, 0x8080, 0x8080, 0x8080]);
  assert.equal((await sharp(png).metadata()).depth, 'ushort');
  const img = await decodeImage(png);
  assert.deepEqual(Array.from(img.rgb), [255, 255, 255, 128, 128, 128]);
});

test('lossless WebP, TIFF and GIF (first frame) decode exactly', async () => {
  const px = Buffer.from([10, 20, 30, 40, 50, 60]);
  const raw = { raw: { width: 2, height: 1, channels: 3 as const } };
  for (const buf of [await sharp(px, raw).webp({ lossless: true }).toBuffer(), await sharp(px, raw).tiff({ compression: 'lzw' }).toBuffer()]) {
    assert.deepEqual(Array.from((await decodeImage(buf)).rgb), [10, 20, 30, 40, 50, 60]);
  }
  const grey = Buffer.from([0, 0, 0, 255, 255, 255]);
  const gif = await sharp(grey, raw).gif().toBuffer();
  assert.deepEqual(Array.from((await decodeImage(gif)).rgb), [0, 0, 0, 255, 255, 255]);
});

test('bytes that are not an image are rejected', async () => {
  await assert.rejects(decodeImage(Buffer.from('not an image at all')));
});

test('encoder input: channel-major, normalised per channel', async () => {
  const px = Buffer.alloc(2 * 2 * 3);
  for (let i = 0; i < 4; i++) px.set([10, 20, 30], i * 3);
  const img: DecodedImage = { rgb: new Uint8Array(px), width: 2, height: 2 };
  const out = await encoderInput(img, { height: 2, width: 2, channels: 3, normalise: { mean: [0, 0.1, 0.2], std: [1, 0.5, 0.25] } });
  const expected = [10 / 255, (20 / 255 - 0.1) / 0.5, (30 / 255 - 0.2) / 0.25];
  for (let c = 0; c < 3; c++) for (let p = 0; p < 4; p++) assert.ok(Math.abs((out[c * 4 + p] as number) - (expected[c] as number)) < 1e-6);
});

test('encoder input: grey encoders get luma; resize is a centre-cropped cover', async () => {
  const grey: DecodedImage = { rgb: new Uint8Array([100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100]), width: 2, height: 2 };
  const g = await encoderInput(grey, { height: 2, width: 2, channels: 1, normalise: { mean: [0.5], std: [0.5] } });
  for (const v of g) assert.ok(Math.abs(v - (100 / 255 - 0.5) / 0.5) < 1e-6);
  const img = await decodeImage(await sharp(halves(), { raw: { width: 8, height: 4, channels: 3 } }).png().toBuffer());
  const out = await encoderInput(img, { height: 2, width: 2, channels: 3, normalise: { mean: [0, 0, 0], std: [1, 1, 1] } });
  // cover keeps the aspect ratio and crops the centre 4×4: left column red, right column blue.
  assert.ok((out[0] as number) > 0.8 && (out[2 * 4 + 0] as number) < 0.2, `left pixel should be red: ${Array.from(out).join(',')}`);
  assert.ok((out[1] as number) < 0.2 && (out[2 * 4 + 1] as number) > 0.8, `right pixel should be blue: ${Array.from(out).join(',')}`);
});

test('folder listing accounts for every entry: image files, other files, hidden files, sub-folders', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dphl-list-'));
  try {
    await sharp(Buffer.alloc(12, 7), { raw: { width: 2, height: 2, channels: 3 } }).png().toFile(join(dir, 'b-secret-name.png'));
    await writeFile(join(dir, 'a-notes-secret.txt'), 'hello');
    await writeFile(join(dir, '.DS_Store'), 'x');
    await mkdir(join(dir, 'sub'));
    const l = await listImageFolder(dir);
    await writeFile(join(dir, 'C-UPPER.JPG'), 'not really a jpeg');
    assert.deepEqual(l.imagePaths, [join(dir, 'b-secret-name.png')]);
    assert.deepEqual(l.otherFiles, ['a-notes-secret.txt']);
    assert.deepEqual((await listImageFolder(dir)).imagePaths, [join(dir, 'C-UPPER.JPG'), join(dir, 'b-secret-name.png')]);
    assert.deepEqual(l.hiddenFiles, ['.DS_Store']);
    assert.deepEqual(l.subfolders, ['sub']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a folder with no image files is IMAGES_EMPTY with one text whatever it holds; what it holds goes only to onListing', async () => {
  const messageFor = async (nonImages: number): Promise<{ message: string; listing: FolderListing | undefined }> => {
    const dir = await mkdtemp(join(tmpdir(), 'dphl-empty-'));
    try {
      for (let i = 0; i < nonImages; i++) await writeFile(join(dir, `dana-secret-${i}.txt`), 'x');
      let listing: FolderListing | undefined;
      let message = '';
      await assert.rejects(listImageFolder(dir, (l) => { listing = l; }), (e: unknown) => {
        if (!isDpError(e, 'IMAGES_EMPTY')) return false;
        message = e.message;
        assert.equal(e.details, undefined, 'no counts in the structured details either (they reach --json)');
        return true;
      });
      return { message, listing };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const one = await messageFor(1);
  const three = await messageFor(3);
  assert.equal(one.message, three.message, 'the error reaches ComfyUI: it may not depend on the private folder');
  assert.ok(one.message.startsWith('the image folder holds no image files ('), one.message);
  assert.ok(!/\d/.test(one.message) && !one.message.includes('dana-secret'), one.message);
  assert.deepEqual(three.listing?.otherFiles, ['dana-secret-0.txt', 'dana-secret-1.txt', 'dana-secret-2.txt'], 'the exact listing goes to the local callback');
  assert.equal((await messageFor(0)).message, one.message);
});

test('the same-size fast path gives exactly what the sharp path gives (grey and RGB)', async () => {
  const next = seededUniform(5);
  const greyPx = new Uint8Array(6 * 5 * 3);
  for (let p = 0; p < 30; p++) greyPx.fill(Math.floor(next() * 256), p * 3, p * 3 + 3);
  const rgbPx = Uint8Array.from({ length: 6 * 5 * 3 }, () => Math.floor(next() * 256));
  for (const [rgb, channels] of [[greyPx, 1], [rgbPx, 3]] as const) {
    const spec = { height: 5, width: 6, channels, normalise: { mean: channels === 1 ? [0.5] : [0.1, 0.2, 0.3], std: channels === 1 ? [0.5] : [0.3, 0.2, 0.1] } } as const;
    const fast = await encoderInput({ rgb, width: 6, height: 5 }, spec);
    // Reference: the sharp pipeline of the slow path, at the same size.
    let pipe = sharp(rgb, { raw: { width: 6, height: 5, channels: 3 } }).resize(6, 5, { fit: 'cover', position: 'centre', kernel: 'lanczos3' });
    if (channels === 1) pipe = pipe.greyscale();
    const { data, info } = await pipe.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < 30; p++) {
        const want = ((data[p * info.channels + c] as number) / 255 - (spec.normalise.mean[c] as number)) / (spec.normalise.std[c] as number);
        assert.equal(fast[c * 30 + p], Math.fround(want));
      }
    }
  }
});

test('small plain PNGs take the in-process fast path and decode to exactly what sharp gives', async () => {
  const next = seededUniform(8);
  for (const [w, h, ch] of [[28, 28, 1], [17, 9, 3], [256, 256, 1]] as const) {
    const px = Buffer.from(Uint8Array.from({ length: w * h * ch }, () => Math.floor(next() * 256)));
    const png = await sharp(px, { raw: { width: w, height: h, channels: ch } }).png().toBuffer();
    assert.equal(fastPngEligible(png), true, `${w}×${h}×${ch} should be eligible`);
    const viaSharp = await sharp(png).rotate().flatten({ background: '#000000' }).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer();
    const fast = await decodeImage(png);
    assert.deepEqual([fast.width, fast.height], [w, h]);
    assert.deepEqual(Buffer.from(fast.rgb), viaSharp);
  }
});

test('PNGs that sharp could decode differently are not eligible for the fast path', async () => {
  const rgb = { raw: { width: 4, height: 4, channels: 3 as const } };
  const px = Buffer.alloc(48, 90);
  const cases: [string, Buffer][] = [
    ['RGBA', await sharp(Buffer.alloc(64, 90), { raw: { width: 4, height: 4, channels: 4 } }).png().toBuffer()],
    ['palette', await sharp(px, rgb).png({ palette: true }).toBuffer()],
    ['16-bit', png16([1, 2, 3])],
    ['EXIF orientation', await sharp(px, rgb).png().withMetadata({ orientation: 6 }).toBuffer()],
    ['ICC profile', await sharp(px, rgb).png().withIccProfile('p3').toBuffer()],
    ['too large', await sharp(Buffer.alloc(257 * 256, 1), { raw: { width: 257, height: 256, channels: 1 } }).png().toBuffer()],
    ['not a PNG', await sharp(px, rgb).jpeg().toBuffer()],
  ];
  for (const [what, bytes] of cases) assert.equal(fastPngEligible(bytes), false, what);
});

test('a PNG whose pixel data is damaged is rejected by the fast path', async () => {
  const png = await sharp(Buffer.alloc(28 * 28, 5), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
  const idat = png.indexOf('IDAT');
  const damaged = Buffer.from(png);
  damaged.fill(0xff, idat + 4, idat + 12);
  assert.equal(fastPngEligible(damaged), true);
  await assert.rejects(decodeImage(damaged));
});

/** The PNG's chunks as [type, whole chunk bytes (length, type, data, CRC)]. */
function pngChunks(png: Buffer): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  for (let at = 8; at + 12 <= png.length;) {
    const length = png.readUInt32BE(at);
    out.push([png.toString('latin1', at + 4, at + 8), png.subarray(at, at + 12 + length)]);
    at += 12 + length;
  }
  return out;
}

test('an orientation-6 PNG whose only extra chunk is eXIf bypasses the fast path and decodes upright, 4×8', async () => {
  const tagged = await sharp(halves(), { raw: { width: 8, height: 4, channels: 3 } }).png().withMetadata({ orientation: 6 }).toBuffer();
  // sharp also writes an iCCP chunk, which alone would keep the file off the fast path; drop it, keep eXIf.
  const chunks = pngChunks(tagged).filter(([type]) => type !== 'iCCP');
  assert.deepEqual(chunks.map(([type]) => type).filter((type) => !['IHDR', 'IDAT', 'IEND', 'pHYs'].includes(type)), ['eXIf']);
  const png = Buffer.concat([tagged.subarray(0, 8), ...chunks.map(([, bytes]) => bytes)]);
  assert.equal((await sharp(png).metadata()).orientation, 6, 'libvips reads the orientation from eXIf');
  const img = await decodeImage(png);
  assert.deepEqual([img.width, img.height], [4, 8]);
  assert.deepEqual(rgbAt(img, 2, 1), [255, 0, 0], 'top (was left) is red');
  assert.deepEqual(rgbAt(img, 2, 6), [0, 0, 255], 'bottom (was right) is blue');
  assert.equal(fastPngEligible(png), false);
});

/** A PNG from raw chunks (type, data); CRCs are computed. Lets a test build structures sharp would not write. */
function pngOf(chunks: readonly [string, Buffer][], signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]): Buffer {
  return Buffer.concat([Buffer.from(signature), ...chunks.map(([type, data]) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])), 8 + data.length);
    return out;
  })]);
}

/** IHDR for an 8-bit image of colour type 0 (grey) or 2 (RGB). */
function ihdr8(width: number, height: number, colourType: 0 | 2): Buffer {
  const h = Buffer.alloc(13);
  h.writeUInt32BE(width, 0);
  h.writeUInt32BE(height, 4);
  h.set([8, colourType, 0, 0, 0], 8);
  return h;
}

/** A 5×3 8-bit grey PNG (colour type 0: sharp itself writes grey as RGB), with `extra` chunks before IDAT. */
function grey5x3(extra: readonly [string, Buffer][] = []): Buffer {
  const rows = Buffer.concat([0, 1, 2].map((y) => Buffer.from([0, ...[0, 1, 2, 3, 4].map((x) => 40 * x + 17 * y)])));
  return pngOf([['IHDR', ihdr8(5, 3, 0)], ...extra, ['IDAT', deflateSync(rows)], ['IEND', Buffer.alloc(0)]]);
}

test('a grey (colour type 0) PNG with text and time chunks takes the fast path and decodes exactly as sharp', async () => {
  const neutral: [string, Buffer][] = [
    ['tEXt', Buffer.from('Comment\0hello', 'latin1')], ['zTXt', Buffer.concat([Buffer.from('Title\0\0', 'latin1'), deflateSync('x')])],
    ['iTXt', Buffer.from('Author\0\0\0\0\0me', 'latin1')], ['tIME', Buffer.from([7, 234, 12, 7, 13, 0, 0])], ['pHYs', Buffer.from([0, 0, 11, 19, 0, 0, 11, 19, 1])],
  ];
  for (const png of [grey5x3(), grey5x3(neutral)]) {
    assert.equal(png[25], 0, 'colour type 0');
    assert.equal(fastPngEligible(png), true);
    const viaSharp = await sharp(png).rotate().flatten({ background: '#000000' }).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer();
    const img = await decodeImage(png);
    assert.deepEqual([img.width, img.height], [5, 3]);
    assert.deepEqual(Buffer.from(img.rgb), viaSharp);
    assert.deepEqual(rgbAt(img, 4, 2), [194, 194, 194]);
  }
});

test('the fast path refuses malformed chunk structure without throwing', () => {
  const good = grey5x3();
  const idat = ['IDAT', deflateSync(Buffer.alloc(3 * 6))] as [string, Buffer];
  const iend = ['IEND', Buffer.alloc(0)] as [string, Buffer];
  const cases: [string, Buffer][] = [
    ['wrong first signature byte', Buffer.concat([Buffer.from([0x88]), good.subarray(1)])],
    ['wrong last signature byte', Buffer.concat([good.subarray(0, 7), Buffer.from([0x0b]), good.subarray(8)])],
    ['shorter than a signature and a header', good.subarray(0, 32)],
    ['no IHDR', pngOf([idat, iend])],
    ['no IEND (truncated after IDAT)', good.subarray(0, good.length - 12)],
    ['IEND declaring data past the end', Buffer.concat([good.subarray(0, good.length - 12), Buffer.from([0, 0, 0, 5, 0x49, 0x45, 0x4e, 0x44, 0, 0, 0, 0])])],
    ['IHDR of 14 bytes', pngOf([['IHDR', Buffer.concat([ihdr8(5, 3, 0), Buffer.from([0])])], idat, iend])],
    ['width 0', pngOf([['IHDR', ihdr8(0, 3, 0)], idat, iend])],
    ['height 0', pngOf([['IHDR', ihdr8(5, 0, 0)], idat, iend])],
    ['colour type 3 (palette)', pngOf([['IHDR', Buffer.from([0, 0, 0, 5, 0, 0, 0, 3, 8, 3, 0, 0, 0])], idat, iend])],
  ];
  for (const [what, bytes] of cases) assert.equal(fastPngEligible(bytes), false, what);
});
