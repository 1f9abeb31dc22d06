import { z } from 'zod';

/**
 * What a client sends on /ws/lip-sync (shared/seeds/003). `process` is checked field by field by
 * the endpoint so each problem gets the document's `validation_error` with a precise message.
 */
export const LipSyncMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('process') }).passthrough(),
  z.object({ type: z.literal('cancel') }).passthrough(),
  z.object({ type: z.literal('ping') }).passthrough(),
]);
export type LipSyncMessage = z.infer<typeof LipSyncMessage>;

/** The document's option fields and what each may be. */
export const LipSyncOptions = z
  .object({
    model_type: z.enum(['wav2lip', 'nota_wav2lip']).optional(),
    audio_format: z.enum(['wav', 'mp3', 'm4a']).optional(),
    image_format: z.enum(['jpg', 'png']).optional(),
    pads: z.array(z.number().int().min(0).max(1000)).length(4).optional(),
    resize_factor: z.union([z.literal(1), z.literal(2), z.literal(4)]).optional(),
    nosmooth: z.boolean().optional(),
  })
  .strict();

export type LipSyncErrorType = 'validation_error' | 'processing_error' | 'internal_error' | 'task_running' | 'json_error';

/** The document's limits. */
export const MAX_AUDIO_BYTES = 50 * 1024 * 1024;
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
