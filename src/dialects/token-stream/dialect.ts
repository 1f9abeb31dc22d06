import { lineType, tokenTextLiteral } from '../../protocol/job-events.ts';
import { defineDialect } from '../../server/define-dialect.ts';
import { TokenStreamMessage, type TokenStreamReply } from './messages.ts';

interface Query {
  sessionId: string;
  /** `"session_id":<the id as JSON>`, made once per query rather than once per token. */
  sessionField: string;
  started: number;
  tokens: number;
  stream: boolean;
  text: string;
}

/**
 * The token-streaming dialect (shared/seeds/001) at /ws: `query` → `token` (with `index`) … `end`
 * (`total_tokens`, `duration_ms`), or `error` with a `code`; `ping` → `pong` with an ISO timestamp.
 * Each query is a job of the configured text space; `session_id` is the client's label for it.
 */
export const tokenStream = defineDialect<TokenStreamMessage, TokenStreamReply>({
  name: 'token-stream',
  label: 'ws',
  path: '/ws',
  maxPayload: () => 1024 * 1024, // the document's 1 MB message limit
  messages: TokenStreamMessage,
  idField: 'session_id',
  open(socket) {
    const { ctx, peer } = socket;
    const who = socket.who!;
    const queries = new Map<string, Query>();
    const sendError = (sessionId: string | undefined, code: string, error: string) => {
      ctx.metrics.errors.inc({ code });
      ctx.metrics.wsErrors.inc({ type: code });
      socket.reply({ type: 'error', ...(sessionId !== undefined && { session_id: sessionId }), error, code });
    };
    const end = (jobId: string) => queries.delete(jobId);
    return {
      line(jobId, line) {
        const q = queries.get(jobId);
        if (!q) return true;
        if (!q.stream || lineType(line) !== 'token') return false;
        // The hot path: the token's text goes from our line to the dialect's without a parse.
        peer.send(`{"type":"token",${q.sessionField},"token":${tokenTextLiteral(line)},"index":${q.tokens}}`);
        q.tokens += 1;
        return true;
      },
      event(jobId, event) {
        const q = queries.get(jobId)!;
        switch (event.type) {
          case 'queued':
            // A requeue (worker lost) restarts generation: the client gets the new attempt's tokens
            // after what it already has, so say so rather than splice two texts silently.
            if (event.attempt > 0 && q.tokens > 0) sendError(q.sessionId, 'worker_lost', 'The model worker was lost; the answer restarts from the beginning.');
            return;
          case 'token':
            q.text += event.text;
            q.tokens += 1;
            return;
          case 'result': {
            if (!q.stream) {
              const text = q.text || String((event.data as { text?: unknown } | null)?.text ?? '');
              socket.reply({ type: 'token', session_id: q.sessionId, token: text, index: 0 });
            }
            const duration = Date.now() - q.started;
            ctx.metrics.wsQueryDuration.observe(duration / 1000);
            socket.reply({ type: 'end', session_id: q.sessionId, total_tokens: q.tokens, duration_ms: duration });
            end(jobId);
            return;
          }
          case 'failed':
            sendError(q.sessionId, event.code, event.message);
            end(jobId);
            return;
          case 'cancelled':
            sendError(q.sessionId, 'cancelled', event.reason);
            end(jobId);
            return;
          case 'timed_out':
            sendError(q.sessionId, 'timed_out', event.message);
            end(jobId);
            return;
        }
      },
      error: (e, id) => sendError(id === undefined ? undefined : String(id), e.code, e.message),
      pipelines: (msg) => msg.type === 'query',
      async message(msg, issued) {
        if (msg.type === 'ping') return socket.reply({ type: 'pong', timestamp: new Date().toISOString() });
        const query: Query = {
          sessionId: msg.session_id,
          sessionField: `"session_id":${JSON.stringify(msg.session_id)}`,
          started: Date.now(),
          tokens: 0,
          stream: msg.stream ?? true,
          text: '',
        };
        await socket.jobs.submit(who, { space: ctx.config.dialects.tokenStreamSpace, prompt: msg.query, options: msg.options, files: [] }, (jobId) => queries.set(jobId, query), issued);
      },
    };
  },
});
