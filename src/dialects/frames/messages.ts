import { z } from 'zod';

/** What a client sends on /ws/{client_id} in the frames dialect (shared/seeds/002). */
export const FramesMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), topic: z.string().min(1).max(160) }),
  z.object({ type: z.literal('unsubscribe'), topic: z.string().min(1).max(160) }),
  z.object({
    type: z.literal('send_frame'),
    frame_id: z.string().min(1).max(128),
    image_data: z.string().min(1),
    plugin: z.string().min(1).max(64),
    // Checked by hand so a bad value is INVALID_OPTIONS, not a schema error.
    options: z.unknown().optional(),
  }),
]);
export type FramesMessage = z.infer<typeof FramesMessage>;
export const FRAMES_TYPES: ReadonlySet<string> = new Set(FramesMessage.options.map((o) => o.shape.type.value));

/** The dialect's documented error codes. */
export type FrameErrorCode = 'INVALID_IMAGE' | 'PLUGIN_NOT_FOUND' | 'PLUGIN_ERROR' | 'PROCESSING_TIMEOUT' | 'INVALID_OPTIONS';
export const FRAME_ERROR_CODES: ReadonlySet<string> = new Set<FrameErrorCode>(['INVALID_IMAGE', 'PLUGIN_NOT_FOUND', 'PLUGIN_ERROR', 'PROCESSING_TIMEOUT', 'INVALID_OPTIONS']);

/** The MIME type of an image by its first bytes; null when it is none we know. */
export function imageMime(bytes: Buffer): string | null {
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 12 && bytes.toString('ascii', 0, 4) === 'RIFF' && bytes.toString('ascii', 8, 12) === 'WEBP') return 'image/webp';
  if (bytes.length >= 6 && bytes.toString('ascii', 0, 3) === 'GIF') return 'image/gif';
  if (bytes.length >= 2 && bytes.toString('ascii', 0, 2) === 'BM') return 'image/bmp';
  return null;
}
