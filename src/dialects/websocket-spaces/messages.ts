import { z } from 'zod';
import { ResultData } from '../../protocol/json-bounds.ts';

/**
 * What a remote app sends in the WebSocket Spaces dialect (shared/seeds/000): `register` with a
 * `space_name`, then `inference_result` / `inference_error` per request. `token` on register is
 * our addition, for spaces that do not allow open registration.
 */
export const RemoteAppMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('register'), space_name: z.string().min(1).max(64), token: z.string().max(256).optional(), name: z.string().max(128).optional() }),
  z.object({
    type: z.literal('inference_result'),
    request_id: z.string().min(1).max(64),
    username: z.string().optional(),
    status: z.string().optional(),
    result: ResultData.optional(),
  }),
  z.object({
    type: z.literal('inference_error'),
    request_id: z.string().min(1).max(64),
    status: z.string().optional(),
    error: z.string().max(10_000).optional(),
  }),
]);
export type RemoteAppMessage = z.infer<typeof RemoteAppMessage>;
