import type { Handler } from '../../sdk/worker/serve.ts';

export interface OpenAiOptions {
  baseUrl: string;
  model: string;
  apiKey?: string | undefined;
}

interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

interface Chunk {
  choices?: Array<{ delta?: { content?: string | null; tool_calls?: Array<{ index?: number; id?: string; function?: { name?: string; arguments?: string } }> }; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
}

/**
 * `spaceport worker --openai BASE_URL --model NAME`: forwards each job to an OpenAI-compatible
 * chat-completions server (Ollama, vLLM, llama.cpp server…) with `stream: true` and relays its
 * content deltas as tokens. A job that came through the gateway's OpenAI API carries the client's
 * request in `options.openai`: it goes upstream whole — every message, tools, sampling — with only
 * `model` set to NAME; tool calls and usage come back in the result (docs/openai.md). Other jobs
 * send their prompt, with the options `temperature`, `max_tokens`, `top_p`, `stop` and `system`.
 * Cancel aborts the upstream request.
 */
export function openAiHandler(options: OpenAiOptions): Handler {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  return async (job, ctx) => {
    const res = await fetch(url, {
      method: 'POST',
      // The job's trace context goes on to the model server (vLLM and others read it), so one trace spans app, gateway and model.
      headers: { 'content-type': 'application/json', ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }), ...(job.traceparent && { traceparent: job.traceparent }) },
      body: JSON.stringify(upstreamRequest(job.prompt, job.options, options.model)),
      signal: ctx.signal,
    });
    if (!res.ok || !res.body) throw new Error(`${url} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
    let text = '';
    let finish: string | null = null;
    let usage = null as Chunk['usage'];
    const calls: ToolCall[] = [];
    const take = (chunk: Chunk) => {
      usage = chunk.usage ?? usage;
      const choice = chunk.choices?.[0];
      const delta = choice?.delta?.content;
      if (delta) {
        text += delta;
        ctx.token(delta);
      }
      for (const part of choice?.delta?.tool_calls ?? []) {
        const call = (calls[part.index ?? 0] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
        if (part.id) call.id = part.id;
        if (part.function?.name) call.function.name += part.function.name;
        if (part.function?.arguments) call.function.arguments += part.function.arguments;
      }
      finish = choice?.finish_reason ?? finish;
    };
    let buffer = '';
    const decoder = new TextDecoder();
    read: for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('data:')) continue;
        const payload = line.slice(5).trim();
        if (payload === '[DONE]') break read;
        take(JSON.parse(payload) as Chunk);
      }
    }
    return { text, model: options.model, finish_reason: finish, ...(calls.length > 0 && { tool_calls: calls }), ...(usage && { usage }) };
  };
}

/** The request sent upstream: the client's own when the job came through the OpenAI API, else one made from the prompt. */
function upstreamRequest(prompt: string | null, jobOptions: Record<string, unknown>, model: string): Record<string, unknown> {
  const client = jobOptions.openai as Record<string, unknown> | undefined;
  if (client && typeof client === 'object') return { ...client, model, stream: true, stream_options: { include_usage: true } };
  const { system, ...params } = jobOptions as { system?: string } & Record<string, unknown>;
  const passed = Object.fromEntries(Object.entries(params).filter(([k]) => ['temperature', 'max_tokens', 'top_p', 'stop'].includes(k)));
  const messages = [...(typeof system === 'string' ? [{ role: 'system', content: system }] : []), { role: 'user', content: prompt ?? '' }];
  return { model, messages, stream: true, ...passed };
}
