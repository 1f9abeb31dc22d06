import type { Benchmark } from './benchmark.ts';
import { quantile } from './stats.ts';
import type { Target } from './targets/target.ts';

export interface FirstTokenResult {
  /** From sending a streaming chat completion to its first content chunk, in milliseconds. */
  medianMs: number;
  p99Ms: number;
}

/** Content that is not empty: the gateway's first chunk gives the role with an empty content. */
const CONTENT = /"content":"[^"]/;

/** One streaming request, read to its [DONE]; the milliseconds to its first content. */
async function firstToken(api: NonNullable<Target['openAi']>): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${api.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: api.model, messages: [{ role: 'user', content: 'hello' }], stream: true }),
  });
  if (!res.ok || !res.body) throw new Error(`${api.baseUrl}: ${res.status} ${await res.text()}`);
  const decoder = new TextDecoder();
  let text = '';
  let first = Number.NaN;
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(bytes, { stream: true });
    if (Number.isNaN(first) && CONTENT.test(text)) first = performance.now() - started;
  }
  if (Number.isNaN(first) || !text.includes('data: [DONE]')) throw new Error(`${api.baseUrl}: a stream without content or [DONE]: ${text.slice(0, 300)}`);
  return first;
}

/** `requests` streaming chat completions one after another, as one user sends them. */
async function firstTokens(target: Target, requests: number): Promise<FirstTokenResult> {
  const samples: number[] = [];
  for (let i = 0; i < requests; i++) samples.push(await firstToken(target.openAi!));
  return { medianMs: quantile(samples, 0.5), p99Ms: quantile(samples, 0.99) };
}

/**
 * Time to first token through the gateway's OpenAI API and `spaceport worker --openai`, against
 * the same kind of OpenAI-compatible server asked directly: what the two hops in between add.
 */
export const openAiFirstTokenBenchmark: Benchmark<FirstTokenResult> = {
  key: 'openAiFirstToken',
  takes: () => false, // only the targets made for it, which name it
  steady: true,
  title: (s) => `OpenAI API, time to first token: ${s.firstTokenRequests} streaming chat completions, one at a time`,
  columns: [
    ['medianMs', 'median ms'],
    ['p99Ms', 'p99 ms'],
  ],
  run: (t, s) => firstTokens(t, s.firstTokenRequests),
  warmUp: (t, s) => firstTokens(t, s.firstTokenRequests),
};
