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

/** The dialect's documented error codes. */
export type FrameErrorCode = 'INVALID_IMAGE' | 'PLUGIN_NOT_FOUND' | 'PLUGIN_ERROR' | 'PROCESSING_TIMEOUT' | 'INVALID_OPTIONS';
export const FRAME_ERROR_CODES: ReadonlySet<string> = new Set<FrameErrorCode>(['INVALID_IMAGE', 'PLUGIN_NOT_FOUND', 'PLUGIN_ERROR', 'PROCESSING_TIMEOUT', 'INVALID_OPTIONS']);
