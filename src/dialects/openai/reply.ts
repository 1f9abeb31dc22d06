import type { ServerResponse } from 'node:http';
import { SpaceportError } from '../../protocol/errors.ts';
import { openAiErrorBody } from './errors.ts';

/** A chat completion or a (legacy) text completion. */
export type Kind = 'chat' | 'text';

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/**
 * One completion's answer, built from its job's events: OpenAI's chunks as Server-Sent Events while
 * they come (`stream: true`), or one JSON body at the end. The id is the job id. Waiting in the
 * queue shows as SSE comments, which OpenAI's clients skip.
 */
export class Reply {
  private id = '';
  private readonly created = Math.floor(Date.now() / 1000);
  private text = '';
  private tokens = 0;
  /** Tool-call pieces were streamed as they came (a worker's partials): the result's whole calls are not sent again. */
  private streamedCalls = false;
  private began = false;
  ended = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly kind: Kind,
    private readonly model: string,
    private readonly streaming: boolean,
    private readonly includeUsage: boolean,
  ) {}

  /** The job was accepted: a stream's headers go now. */
  begin(jobId: string): void {
    this.id = jobId;
    if (!this.streaming) return;
    this.res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  }

  event(e: Record<string, any>): void {
    if (this.ended) return;
    if ((e.type === 'queued' && Number(e.attempt) > 0) || e.type === 'retry_scheduled') this.requeued();
    if (this.ended) return;
    if ((e.type === 'queued' || e.type === 'position') && this.streaming) this.res.write(`: queued, position ${Number(e.position) + 1}\n\n`);
    else if (e.type === 'token') this.token(String(e.text));
    else if (e.type === 'partial') this.toolCallPieces(e.data?.tool_calls);
    else if (e.type === 'result') this.finish(e.data);
    else if (e.type === 'failed' || e.type === 'timed_out' || e.type === 'cancelled') this.fail(e);
  }

  /**
   * Its worker was lost and the job starts again from nothing: the answer so far is dropped (never
   * spliced to the next attempt's). Chunks already streamed cannot be taken back, so such a stream
   * ends with an error naming the job, which goes on (GET /v1/jobs/{id}, or the same request with its
   * Idempotency-Key, has the new answer).
   */
  private requeued(): void {
    if (this.streaming && (this.tokens > 0 || this.streamedCalls)) {
      this.ended = true;
      this.write({
        error: {
          message: `The attempt answering ended (its worker was lost, or failed with an error it may recover from); job ${this.id} starts again. Fetch its result by id, or send the same request with its Idempotency-Key.`,
          type: 'server_error',
          param: null,
          code: 'worker_lost',
        },
      });
      return void this.res.end();
    }
    this.text = '';
    this.tokens = 0;
  }

  private token(text: string): void {
    this.text += text;
    this.tokens += 1;
    if (!this.streaming) return;
    const content = this.chunkLine(this.kind === 'chat' ? { content: text } : text, null);
    // The role's chunk and the first content leave in one write: one packet, one wake-up of the client.
    this.res.write(!this.began && this.kind === 'chat' ? this.chunkLine({ role: 'assistant', content: '' }, null) + content : content);
    this.began = true;
  }

  /**
   * Pieces of tool calls as a worker streams them (`{"tool_calls": [...]}` partials, OpenAI's delta
   * shape: an index, then the id and name, then the arguments in parts), passed on as they are.
   */
  private toolCallPieces(pieces: unknown): void {
    if (!this.streaming || this.kind !== 'chat' || !Array.isArray(pieces) || pieces.length === 0) return;
    this.chunk({ ...(!this.began && { role: 'assistant' }), tool_calls: pieces }, null);
    this.began = true;
    this.streamedCalls = true;
  }

  /** The worker's result: its `usage`, `finish_reason` and `tool_calls` when it reports them (an OpenAI-speaking worker does). */
  private finish(data: { usage?: Partial<Usage>; finish_reason?: string; text?: string; tool_calls?: unknown[] } | undefined): void {
    const completion = data?.usage?.completion_tokens ?? this.tokens;
    const prompt = data?.usage?.prompt_tokens ?? 0;
    const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    const calls = Array.isArray(data?.tool_calls) && data.tool_calls.length > 0 ? data.tool_calls : undefined;
    const reason = data?.finish_reason ?? (calls ? 'tool_calls' : 'stop');
    const text = this.text || (typeof data?.text === 'string' ? data.text : '');
    this.ended = true;
    if (!this.streaming) {
      const message = { role: 'assistant', content: text || (calls ? null : ''), ...(calls && { tool_calls: calls }) };
      const choice = this.kind === 'chat' ? { index: 0, message, finish_reason: reason, logprobs: null } : { index: 0, text, finish_reason: reason, logprobs: null };
      this.res.writeHead(200, { 'content-type': 'application/json' });
      return void this.res.end(
        JSON.stringify({ id: this.id, object: this.kind === 'chat' ? 'chat.completion' : 'text_completion', created: this.created, model: this.model, choices: [choice], usage }),
      );
    }
    if (!this.text && text) this.chunk(this.kind === 'chat' ? { role: 'assistant', content: text } : text, null);
    if (calls && this.kind === 'chat' && !this.streamedCalls) this.chunk({ ...(!this.began && { role: 'assistant' }), tool_calls: calls.map((c, index) => ({ index, ...(c as object) })) }, null);
    this.chunk(this.kind === 'chat' ? {} : '', reason);
    if (this.includeUsage) this.write({ ...this.envelope(), choices: [], usage });
    this.res.end('data: [DONE]\n\n');
  }

  private fail(e: Record<string, any>): void {
    this.ended = true;
    const code = e.type === 'failed' ? 'worker_error' : e.type;
    const { status, body } = openAiErrorBody(new SpaceportError(code, String(e.message ?? e.reason ?? e.type)));
    if (!this.streaming) {
      this.res.writeHead(status, { 'content-type': 'application/json' });
      return void this.res.end(JSON.stringify(body));
    }
    this.write(body);
    this.res.end();
  }

  private envelope() {
    return { id: this.id, object: this.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion', created: this.created, model: this.model };
  }

  private chunk(delta: Record<string, unknown> | string, finishReason: string | null): void {
    this.res.write(this.chunkLine(delta, finishReason));
  }

  private chunkLine(delta: Record<string, unknown> | string, finishReason: string | null): string {
    const choice = this.kind === 'chat' ? { index: 0, delta, finish_reason: finishReason, logprobs: null } : { index: 0, text: delta, finish_reason: finishReason, logprobs: null };
    return sseData({ ...this.envelope(), choices: [choice] });
  }

  private write(payload: unknown): void {
    this.res.write(sseData(payload));
  }
}

const sseData = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;
