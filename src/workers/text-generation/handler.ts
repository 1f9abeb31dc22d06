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
    const maxTokens = clamp(Number(job.options.max_tokens ?? 200), 1, 2000);
    const temperature = clamp(Number(job.options.temperature ?? 0.8), 0.05, 2);
    const topK = clamp(Math.round(Number(job.options.top_k ?? 20)), 1, model.vocab.length);
    const generation = model.session();
    generation.feed(model.encode(job.prompt ?? ''));
    let text = '';
    for (let i = 0; i < maxTokens; i++) {
      if (ctx.signal.aborted) return undefined;
      const token = generation.next(temperature, topK);
      text += token;
      ctx.token(token);
      if (i % CHUNK === CHUNK - 1) await new Promise((r) => setImmediate(r));
    }
    return { text, tokens: maxTokens, model: 'charlm-austen' };
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : lo;
}
