import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { OpenAiToolCall } from '../../sdk/worker/openai.ts';
import type { Handler } from '../../sdk/worker/serve.ts';

export interface OpenAiOptions {
  baseUrl: string;
  model: string;
  apiKey?: string | undefined;
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
 * `model` set to NAME; tool calls stream back piece by piece as partials, and whole with the usage
 * in the result (docs/openai.md). Other jobs
 * send their prompt, with the options `temperature`, `max_tokens`, `top_p`, `stop` and `system`.
 * Cancel aborts the upstream request.
 */
export function openAiHandler(options: OpenAiOptions): Handler {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  return async (job, ctx) => {
    const res = await post(
      url,
      // The job's trace context goes on to the model server (vLLM and others read it), so one trace spans app, gateway and model.
      { 'content-type': 'application/json', ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }), ...(job.traceparent && { traceparent: job.traceparent }) },
      JSON.stringify(upstreamRequest(job.prompt, job.options, options.model)),
      ctx.signal,
    );
    if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}: ${(await textOf(res)).slice(0, 500)}`);
    let text = '';
    let finish: string | null = null;
    let usage = null as Chunk['usage'];
    const calls: OpenAiToolCall[] = [];
    const take = (chunk: Chunk) => {
      usage = chunk.usage ?? usage;
      const choice = chunk.choices?.[0];
      const delta = choice?.delta?.content;
      if (delta) {
        text += delta;
        ctx.token(delta);
      }
      const pieces = choice?.delta?.tool_calls ?? [];
      for (const part of pieces) {
        const call = (calls[part.index ?? 0] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
        if (part.id) call.id = part.id;
        if (part.function?.name) call.function.name += part.function.name;
        if (part.function?.arguments) call.function.arguments += part.function.arguments;
      }
      // As they come, for a streaming client (a partial the gateway's OpenAI API streams as they are);
      // whole in the result, for everyone else.
      if (pieces.length > 0) ctx.partial({ tool_calls: pieces });
      finish = choice?.finish_reason ?? finish;
    };
    let buffer = '';
    let done = false;
    const decoder = new TextDecoder();
    // Read to the end even after [DONE] (a server sends nothing more): stopping early would destroy
    // the response and with it the kept connection, a new handshake for the next job. Listeners,
    // not an async iterator: each chunk is relayed in the turn it arrives (the first token's time).
    await eachChunk(res, (chunk) => {
      if (done) return;
      buffer += decoder.decode(chunk, { stream: true });
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('data:')) continue;
        const payload = line.slice(5).trim();
        if (payload === '[DONE]') {
          done = true;
          break;
        }
        take(JSON.parse(payload) as Chunk);
      }
    });
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

// Connections to the model server are kept and reused: a new one per job was a handshake on every
// first token. node:http rather than fetch: fetch's streams added about a millisecond before the
// first chunk (bench: openAiFirstToken).
const agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };

/** POSTs `body` and resolves with the response once its headers are in; `signal` aborts it (a cancel). */
function post(url: string, headers: OutgoingHttpHeaders, body: string, signal: AbortSignal): Promise<IncomingMessage> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent: agents[target.protocol as 'http:' | 'https:'], signal }, resolve);
    req.once('error', reject);
    req.end(body);
  });
}

/** Calls `each` with every chunk of the response as it arrives; resolves at its end. A throw from `each` ends the read with that error. */
function eachChunk(res: IncomingMessage, each: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) => {
      res.off('data', onData);
      res.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      try {
        each(chunk);
      } catch (err) {
        fail(err);
      }
    };
    res.on('data', onData).once('end', resolve).once('error', fail);
    res.once('close', () => (res.complete ? resolve() : fail(new Error('the model server closed the response before its end'))));
  });
}

async function textOf(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) text += chunk;
  return text;
}
