import type { Handler } from '../../sdk/worker/serve.ts';

export interface OpenAiOptions {
  baseUrl: string;
  model: string;
  apiKey?: string | undefined;
}

/**
 * `spaceport worker --openai BASE_URL --model NAME`: forwards each prompt to an OpenAI-compatible
 * chat-completions server (Ollama, vLLM, llama.cpp server…) with `stream: true` and relays its
 * deltas as tokens. Job options `temperature`, `max_tokens`, `top_p`, `stop` and `system` pass
 * through. Cancel aborts the upstream request.
 */
export function openAiHandler(options: OpenAiOptions): Handler {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  return async (job, ctx) => {
    const { system, ...params } = job.options as { system?: string } & Record<string, unknown>;
    const passed = Object.fromEntries(Object.entries(params).filter(([k]) => ['temperature', 'max_tokens', 'top_p', 'stop'].includes(k)));
    const messages = [...(typeof system === 'string' ? [{ role: 'system', content: system }] : []), { role: 'user', content: job.prompt ?? '' }];
    const res = await fetch(url, {
      method: 'POST',
      // The job's trace context goes on to the model server (vLLM and others read it), so one trace spans app, gateway and model.
      headers: { 'content-type': 'application/json', ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }), ...(job.traceparent && { traceparent: job.traceparent }) },
      body: JSON.stringify({ model: options.model, messages, stream: true, ...passed }),
      signal: ctx.signal,
    });
    if (!res.ok || !res.body) throw new Error(`${url} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
    let text = '';
    let finish: string | null = null;
    let buffer = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('data:')) continue;
        const payload = line.slice(5).trim();
        if (payload === '[DONE]') return { text, model: options.model, finish_reason: finish };
        const choice = (JSON.parse(payload) as { choices?: Array<{ delta?: { content?: string }; finish_reason?: string | null }> }).choices?.[0];
        const delta = choice?.delta?.content;
        if (delta) {
          text += delta;
          ctx.token(delta);
        }
        finish = choice?.finish_reason ?? finish;
      }
    }
    return { text, model: options.model, finish_reason: finish };
  };
}
