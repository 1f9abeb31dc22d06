/**
 * Binary WebSocket frames carry file bytes without base64:
 *
 *   | header length: uint32 big-endian | header: UTF-8 JSON | payload bytes |
 *
 * The header says what the bytes belong to: `{ ref, index }` where `ref` is the id of the message
 * that announced them (a submit's request id, or a job id for a worker's result) and `index` is the
 * position in that message's `files` array. Frames the gateway sends use the same layout.
 */
export interface FrameHeader {
  ref: string | number;
  index: number;
  [extra: string]: unknown;
}

export const MAX_HEADER_BYTES = 4096;

export function encodeFrame(header: FrameHeader, payload: Uint8Array): Buffer {
  const head = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeUInt32BE(head.length, 0);
  return Buffer.concat([prefix, head, payload]);
}

/** Returns null for a frame that does not follow the layout. */
export function decodeFrame(frame: Buffer): { header: FrameHeader; payload: Buffer } | null {
  if (frame.length < 4) return null;
  const length = frame.readUInt32BE(0);
  if (length > MAX_HEADER_BYTES || frame.length < 4 + length) return null;
  try {
    const header = JSON.parse(frame.subarray(4, 4 + length).toString('utf8')) as FrameHeader;
    if ((typeof header.ref !== 'string' && typeof header.ref !== 'number') || !Number.isInteger(header.index)) return null;
    return { header, payload: frame.subarray(4 + length) };
  } catch {
    return null;
  }
}
