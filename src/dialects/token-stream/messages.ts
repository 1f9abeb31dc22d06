import { z } from 'zod';
import { Options } from '../../protocol/json-bounds.ts';

/** What a client sends on /ws in the token-streaming dialect (shared/seeds/001). */
export const TokenStreamMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('query'),
    session_id: z.string().min(1).max(128),
    query: z
      .string()
      .min(1)
      .max(64 * 1024),
    stream: z.boolean().optional(),
    // Ours, optional: generation options passed to the model (max_tokens, temperature, top_k).
    options: Options.optional(),
  }),
  z.object({ type: z.literal('ping') }),
]);
export type TokenStreamMessage = z.infer<typeof TokenStreamMessage>;

/** What the gateway sends on /ws in the token-streaming dialect. */
export type TokenStreamReply =
  | { type: 'token'; session_id: string; token: string; index: number }
  | { type: 'end'; session_id: string; total_tokens: number; duration_ms: number }
  | { type: 'error'; session_id?: string; error: string; code: string }
  | { type: 'pong'; timestamp: string };
