import type { Identity } from '../../core/types.ts';
import { decodeMessage } from '../../protocol/decode.ts';
import type { SpaceportError } from '../../protocol/errors.ts';
import type { WsEndpoint } from '../../server/dialect.ts';
import type { ServerContext } from '../../server/server-context.ts';
import { Attachments } from '../../server/ws/attachments.ts';
import { NO_UPLOAD, handleInbound } from '../../server/ws/inbound.ts';
import { Peer } from '../../server/ws/peer.ts';
import { lineType, tokenTextLiteral } from '../../protocol/job-events.ts';
import { JobFollower } from '../../server/job-follower.ts';
import { TOKEN_STREAM_TYPES, TokenStreamMessage } from './messages.ts';
import type { Connection } from '../../wire/connection.ts';

/**
 * The token-streaming dialect (shared/seeds/001) at /ws: `query` → `token` (with `index`) … `end`
 * (`total_tokens`, `duration_ms`), or `error` with a `code`; `ping` → `pong` with an ISO timestamp.
 * Each query is a job of the configured text space; `session_id` is the client's label for it.
 */
export function tokenStreamEndpoint(ctx: ServerContext): WsEndpoint {
  return {
    path: '/ws',
    maxPayload: 1024 * 1024, // the document's 1 MB message limit
    authenticate: (req, url) => ctx.auth.identifyBrowser(req, url, ctx.config.allowedOrigins, true),
    accept: (connection, _req, _url, who) => acceptTokenStream(ctx, connection, who!),
  };
}

interface Query {
  sessionId: string;
  /** `"session_id":<the id as JSON>`, made once per query rather than once per token. */
  sessionField: string;
  started: number;
  tokens: number;
  stream: boolean;
  text: string;
}

function acceptTokenStream(ctx: ServerContext, connection: Connection, who: Identity): void {
  const peer = new Peer(connection, 'ws', 'client', ctx.config.limits, ctx.metrics);
  ctx.peers.add(peer);
  const queries = new Map<string, Query>();

  const followers = new JobFollower(ctx, who, {
    room: () => peer.room(),
    onLine: (jobId, line) => {
      const q = queries.get(jobId);
      if (!q) return;
      if (q.stream && lineType(line) === 'token') {
        // The hot path: the token's text goes from our line to the dialect's without a parse.
        peer.send(`{"type":"token",${q.sessionField},"token":${tokenTextLiteral(line)},"index":${q.tokens}}`);
        q.tokens += 1;
        return;
      }
      const event = JSON.parse(line) as Record<string, any>;
      switch (event.type) {
        case 'queued':
          // A requeue (worker lost) restarts generation: the client gets the new attempt's tokens
          // after what it already has, so say so rather than splice two texts silently.
          if (event.attempt > 0 && q.tokens > 0) sendError(q.sessionId, 'worker_lost', 'The model worker was lost; the answer restarts from the beginning.');
          return;
        case 'token':
          if (q.stream) peer.sendJson({ type: 'token', session_id: q.sessionId, token: event.text, index: q.tokens });
          else q.text += event.text;
          q.tokens += 1;
          return;
        case 'result': {
          if (!q.stream) {
            const text = q.text || String((event.data as { text?: unknown } | null)?.text ?? '');
            peer.sendJson({ type: 'token', session_id: q.sessionId, token: text, index: 0 });
          }
          const duration = Date.now() - q.started;
          ctx.metrics.wsQueryDuration.observe(duration / 1000);
          peer.sendJson({ type: 'end', session_id: q.sessionId, total_tokens: q.tokens, duration_ms: duration });
          queries.delete(jobId);
          return;
        }
        case 'failed':
        case 'cancelled':
        case 'timed_out':
          sendError(q.sessionId, event.type === 'failed' ? event.code : event.type, event.message ?? event.reason ?? event.type);
          queries.delete(jobId);
          return;
      }
    },
  });

  function sendError(sessionId: string | undefined, code: string, error: string): void {
    ctx.metrics.errors.inc({ code });
    ctx.metrics.wsErrors.inc({ type: code });
    peer.sendJson({ type: 'error', ...(sessionId !== undefined && { session_id: sessionId }), error, code });
  }

  handleInbound(ctx, peer, new Attachments(1000, 0), {
    decode: (text) => decodeMessage(text, TokenStreamMessage, TOKEN_STREAM_TYPES, 'session_id'),
    expectUploads: () => NO_UPLOAD,
    reportError: (e: SpaceportError, id) => sendError(id === undefined ? undefined : String(id), e.code, e.message),
    async handle(msg) {
      if (msg.type === 'ping') return peer.sendJson({ type: 'pong', timestamp: new Date().toISOString() });
      const query: Query = {
        sessionId: msg.session_id,
        sessionField: `"session_id":${JSON.stringify(msg.session_id)}`,
        started: Date.now(),
        tokens: 0,
        stream: msg.stream ?? true,
        text: '',
      };
      await followers.submit(who, { space: ctx.config.dialects.tokenStreamSpace, prompt: msg.query, options: msg.options, files: [] }, (jobId) => queries.set(jobId, query));
    },
  });
  connection.onClose(() => followers.close());
}
