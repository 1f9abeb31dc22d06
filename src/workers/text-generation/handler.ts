import { isObject } from '../../protocol/hand-checks.ts';
import type { Handler } from '../../sdk/worker/serve.ts';
import { CharModel } from './char-model.ts';

/** Characters between yields to the event loop, so cancels and heartbeats get through. */
const CHUNK = 4;

/**
 * Continues the prompt with the Jane Austen character-level model (models/charlm), streaming each
 * character as a token. Options: `max_tokens` (default 200, at most 2000), `temperature` (0.8),
 * `top_k` (20). The result is the whole continuation with its token count.
 */
export function textGenerationHandler(model = new CharModel()): Handler {
  return async (job, ctx) => {
    // A job from the OpenAI API carries the client's request: its sampling fields are read there.
    const asked = (isObject(job.options.openai) ? job.options.openai : job.options) as Record<string, unknown>;
    const maxTokens = clamp(Number(asked.max_completion_tokens ?? asked.max_tokens ?? 200), 1, 2000);
    const temperature = clamp(Number(asked.temperature ?? 0.8), 0.05, 2);
    const topK = clamp(Math.round(Number(asked.top_k ?? 20)), 1, model.vocab.length);
    const generation = model.session();
    const prompt = model.encode(job.prompt ?? '');
    generation.feed(prompt);
    let text = '';
    for (let i = 0; i < maxTokens; i++) {
      if (ctx.signal.aborted) return undefined;
      const token = generation.next(temperature, topK);
      text += token;
      ctx.token(token);
      if (i % CHUNK === CHUNK - 1) await new Promise((r) => setImmediate(r));
    }
    // Its tokens are characters, so the usage is exact; it always writes max_tokens of them.
    const usage = { prompt_tokens: prompt.length, completion_tokens: maxTokens, total_tokens: prompt.length + maxTokens };
    return { text, tokens: maxTokens, model: 'charlm-austen', usage, finish_reason: 'length' };
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : lo;
}
