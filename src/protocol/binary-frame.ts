/**
 * Binary WebSocket frames carry file bytes without base64:
 *
 *   | header length: uint32 big-endian | header: UTF-8 JSON | payload bytes |
 *
 * The header says what the bytes belong to: `{ ref, index }` where `ref` is the id of the message
 * that announced them (a submit's request id, or a job id for a worker's result) and `index` is the
 * position in that message's `files` array. Frames the gateway sends use the same layout.
 *
 * Plain Uint8Array and TextEncoder, so the SDKs use this same file in browsers; a Buffer passed in
 * comes back as a Buffer payload.
 */
export interface FrameHeader {
  ref: string | number;
  index: number;
  [extra: string]: unknown;
}

export const MAX_HEADER_BYTES = 4096;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeFrame(header: FrameHeader, payload: Uint8Array): Uint8Array {
  const head = frameHead(header);
  const frame = new Uint8Array(head.length + payload.length);
  frame.set(head, 0);
  frame.set(payload, head.length);
  return frame;
}

/** The part of a frame before its payload (length and header), for senders that send the two apart. */
export function frameHead(header: FrameHeader): Uint8Array {
  const json = encoder.encode(JSON.stringify(header));
  const head = new Uint8Array(4 + json.length);
  new DataView(head.buffer).setUint32(0, json.length);
  head.set(json, 4);
  return head;
}

/** Returns null for a frame that does not follow the layout. */
export function decodeFrame<T extends Uint8Array>(frame: T): { header: FrameHeader; payload: T } | null {
  if (frame.length < 4) return null;
  const length = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0);
  if (length > MAX_HEADER_BYTES || frame.length < 4 + length) return null;
  const header = parseFrameHeader(frame.subarray(4, 4 + length));
  return header && { header, payload: frame.subarray(4 + length) as T };
}

/** The JSON header of a frame (the bytes after its length); null when it is not one. */
export function parseFrameHeader(json: Uint8Array): FrameHeader | null {
  try {
    const header = JSON.parse(decoder.decode(json)) as FrameHeader;
    if ((typeof header.ref !== 'string' && typeof header.ref !== 'number') || !Number.isInteger(header.index)) return null;
    return header;
  } catch {
    return null;
  }
}
