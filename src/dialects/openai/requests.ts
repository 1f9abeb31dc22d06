import { z } from 'zod';

/** A message's content: text, or parts of which the text ones are read (images pass through to the worker). */
const Content = z.union([z.string(), z.array(z.object({ type: z.string() }).passthrough()).max(256), z.null()]);

const Message = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
    content: Content.optional(),
    name: z.string().max(256).optional(),
    tool_calls: z.array(z.unknown()).max(128).optional(),
    tool_call_id: z.string().max(256).optional(),
  })
  .passthrough();

/** The sampling and tool fields both requests pass to the worker as they came. */
const Sampling = {
  model: z.string().min(1).max(64),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullable().optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  stop: z
    .union([z.string(), z.array(z.string()).max(4)])
    .nullable()
    .optional(),
  seed: z.number().int().nullable().optional(),
  n: z.literal(1).nullable().optional(),
  user: z.string().max(256).optional(),
};

/** POST /v1/chat/completions (OpenAI's documented request; fields we do not use are kept for the worker). */
export const ChatCompletionRequest = z
  .object({
    ...Sampling,
    messages: z.array(Message).min(1).max(1024),
    max_completion_tokens: z.number().int().positive().nullable().optional(),
    tools: z.array(z.unknown()).max(128).optional(),
    tool_choice: z.unknown().optional(),
  })
  .passthrough();

/** POST /v1/completions. */
export const CompletionRequest = z.object({ ...Sampling, prompt: z.union([z.string(), z.array(z.string()).length(1)]) }).passthrough();

export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;
export type CompletionRequest = z.infer<typeof CompletionRequest>;

/** The text of a message's content (its text parts joined). */
export function textOf(content: z.infer<typeof Content> | undefined): string {
  if (typeof content === 'string') return content;
  return (content ?? []).flatMap((part) => (part.type === 'text' && typeof part.text === 'string' ? [part.text] : [])).join('');
}
