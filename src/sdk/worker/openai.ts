import { isObject } from '../../protocol/hand-checks.ts';
import type { WorkerJob } from './serve.ts';

/** A message of an OpenAI chat request, as the client sent it. */
export interface OpenAiMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content?: string | Array<{ type: string; text?: string; [key: string]: unknown }> | null;
  name?: string;
  tool_calls?: OpenAiToolCall[];
  tool_call_id?: string;
}

export interface OpenAiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** The request of a job that came through the gateway's OpenAI API (docs/openai.md), kept whole. */
export interface OpenAiRequest {
  model: string;
  /** Chat completions; a text completion has `prompt` instead. */
  messages?: OpenAiMessage[];
  prompt?: string | string[];
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters?: unknown } }>;
  tool_choice?: unknown;
  temperature?: number | null;
  top_p?: number | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  user?: string;
  [field: string]: unknown;
}

/** The OpenAI request a job carries (`job.options.openai`), or undefined for a job submitted otherwise. */
export function openAiRequest(job: Pick<WorkerJob, 'options'>): OpenAiRequest | undefined {
  const request = job.options.openai;
  return isObject(request) ? (request as OpenAiRequest) : undefined;
}

/**
 * The result data the gateway turns into OpenAI's answer: how it finished, the tokens counted, the
 * tools called. Return it from the handler (the streamed tokens are the text).
 */
export function openAiResult(done: {
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  usage?: { promptTokens: number; completionTokens: number };
  toolCalls?: OpenAiToolCall[];
}): Record<string, unknown> {
  return {
    ...(done.finishReason && { finish_reason: done.finishReason }),
    ...(done.usage && { usage: { prompt_tokens: done.usage.promptTokens, completion_tokens: done.usage.completionTokens, total_tokens: done.usage.promptTokens + done.usage.completionTokens } }),
    ...(done.toolCalls?.length && { tool_calls: done.toolCalls }),
  };
}

/**
 * A piece of a tool call as it is generated, for `ctx.partial(...)`: the gateway's OpenAI API
 * streams it to the client as it is (OpenAI's delta shape). The first piece of a call gives its
 * `id` and `name`, the following ones parts of its `arguments`; `index` tells the calls apart.
 * Return the whole calls in the result too (openAiResult), for clients that do not stream.
 */
export function openAiToolCallPiece(piece: { index: number; id?: string; name?: string; arguments?: string }): Record<string, unknown> {
  const fn = { ...(piece.name !== undefined && { name: piece.name }), ...(piece.arguments !== undefined && { arguments: piece.arguments }) };
  return { tool_calls: [{ index: piece.index, ...(piece.id !== undefined && { id: piece.id, type: 'function' }), function: fn }] };
}
