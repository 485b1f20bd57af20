/**
 * ComfyUI `/ws` binary frames (`protocol.BinaryEventTypes`, `server.py send_bytes`; reference/comfyui.md
 * §4.3). Every frame starts with a big-endian uint32 event type:
 * - 1 PREVIEW_IMAGE: uint32 image type (1 = JPEG, 2 = PNG), then the image bytes;
 * - 3 TEXT: uint32 node-id length, the node id, then UTF-8 text;
 * - 4 PREVIEW_IMAGE_WITH_METADATA: uint32 JSON length, the JSON metadata, then the image bytes.
 * Type 2 is internal to the server and never sent. Other types are passed through as `other`.
 */
import { z } from 'zod';
import { DpHyperLoraError } from '../errors.js';
import { issuesLine } from './zod-issues.js';

/** Event type numbers on the wire. */
export const BINARY_EVENT = { PREVIEW_IMAGE: 1, TEXT: 3, PREVIEW_IMAGE_WITH_METADATA: 4 } as const;

/** Metadata of a type-4 preview (ComfyUI adds `image_type`, a MIME type, when it sends the frame). */
export const PreviewMetadata = z.looseObject({
  node_id: z.string(),
  prompt_id: z.string(),
  display_node_id: z.string().nullable(),
  parent_node_id: z.string().nullable(),
  real_node_id: z.string().nullable(),
  image_type: z.enum(['image/png', 'image/jpeg']),
});
/** The validated metadata of a type-4 preview. */
export type PreviewMetadata = z.infer<typeof PreviewMetadata>;

/** A decoded binary frame. `image` views the frame's memory (no copy). */
export type WsBinaryFrame =
  | { kind: 'preview_image'; mime: 'image/jpeg' | 'image/png'; image: Uint8Array }
  | { kind: 'text'; nodeId: string; text: string }
  | { kind: 'preview_image_with_metadata'; metadata: PreviewMetadata; image: Uint8Array }
  | { kind: 'other'; eventType: number; payload: Uint8Array };

function malformed(problem: string): DpHyperLoraError {
  return new DpHyperLoraError('COMFY_PROTOCOL',
    `ComfyUI sent a malformed binary /ws frame: ${problem}. This client speaks the ComfyUI 0.3.x /ws protocol; ` +
    'check that the --server URL points at ComfyUI and that its version is supported.');
}

function readLength(view: DataView, offset: number, total: number, what: string): number {
  if (total < offset + 4) throw malformed(`${total} bytes is too short for the ${what} (needs ${offset + 4})`);
  return view.getUint32(offset, false);
}

/** Decodes one binary frame. Throws COMFY_PROTOCOL when a documented frame is truncated or inconsistent. */
export function parseWsBinary(frame: Uint8Array): WsBinaryFrame {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const n = frame.byteLength;
  const eventType = readLength(view, 0, n, 'event type');
  if (eventType === BINARY_EVENT.PREVIEW_IMAGE) {
    const imageType = readLength(view, 4, n, 'image type');
    if (imageType !== 1 && imageType !== 2) throw malformed(`preview image type ${imageType} is neither 1 (JPEG) nor 2 (PNG)`);
    return { kind: 'preview_image', mime: imageType === 1 ? 'image/jpeg' : 'image/png', image: frame.subarray(8) };
  }
  if (eventType === BINARY_EVENT.TEXT) {
    const idLength = readLength(view, 4, n, 'node-id length');
    if (8 + idLength > n) throw malformed(`text frame node-id length ${idLength} runs past the frame end (${n} bytes)`);
    const decoder = new TextDecoder('utf-8', { fatal: true });
    try {
      return { kind: 'text', nodeId: decoder.decode(frame.subarray(8, 8 + idLength)), text: decoder.decode(frame.subarray(8 + idLength)) };
    } catch (e) {
      throw malformed(`text frame is not UTF-8 (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (eventType === BINARY_EVENT.PREVIEW_IMAGE_WITH_METADATA) {
    const jsonLength = readLength(view, 4, n, 'metadata length');
    if (8 + jsonLength > n) throw malformed(`metadata length ${jsonLength} runs past the frame end (${n} bytes)`);
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame.subarray(8, 8 + jsonLength)));
    } catch (e) {
      throw malformed(`preview metadata is not UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    const meta = PreviewMetadata.safeParse(raw);
    if (!meta.success) throw malformed(`preview metadata: ${issuesLine(meta.error)}`);
    return { kind: 'preview_image_with_metadata', metadata: meta.data, image: frame.subarray(8 + jsonLength) };
  }
  return { kind: 'other', eventType, payload: frame.subarray(4) };
}
