import { CLOSE } from '../../protocol/close-codes.ts';
import { asSpaceportError } from '../../protocol/errors.ts';
import type { Dialect } from '../../server/dialect.ts';
import { type DialectHandlers, type DialectSocket, defineDialect } from '../../server/define-dialect.ts';
import { attachSocketIo } from './socket-io.ts';
import { WorkerSession } from '../../server/worker-session.ts';
import { RemoteAppMessage } from './messages.ts';

export const WEBSOCKET_SPACES_PATH = '/websocket-spaces';

/**
 * The WebSocket Spaces dialect (shared/seeds/000, docs/dialects.md): a remote app dials out,
 * registers into one space by name, and answers `inference_request`s one at a time. It is a
 * worker like any other underneath — one slot, leases, requeue on disconnect — with three
 * differences the guide implies: the request counts as started when it is sent; there is no
 * heartbeat message, so the lease is renewed while the socket answers pings; and a cancel is told
 * with `inference_cancelled` and frees the slot at once (the guide has no acknowledgement).
 */
const plainWebSocket = defineDialect<RemoteAppMessage, Record<string, unknown> & { type: string }>({
  name: 'websocket-spaces',
  path: WEBSOCKET_SPACES_PATH,
  role: 'worker',
  maxPayload: (ctx) => ctx.config.limits.workerMaxMessageBytes,
  authenticate: async () => undefined, // the token comes with `register` (or in the query)
  messages: RemoteAppMessage,
  open: remoteApp,
});

/** The dialect on its plain WebSocket, and on Socket.IO for the document's own remote apps (socket-io.ts). */
export const websocketSpaces: Dialect = { ...plainWebSocket, attach: (server, ctx) => attachSocketIo(server, ctx, plainWebSocket) };

function remoteApp(socket: DialectSocket<Record<string, unknown> & { type: string }>): DialectHandlers<RemoteAppMessage> {
  const { ctx, peer } = socket;
  const { core, config } = ctx;
  const queryToken = socket.url.searchParams.get('token') ?? undefined;
  const session = new WorkerSession(ctx, socket.connection);
  let renew: NodeJS.Timeout | undefined;

  async function handle(msg: RemoteAppMessage): Promise<void> {
    if (msg.type === 'register') {
      try {
        await session.register(
          { token: msg.token ?? queryToken, spaces: [msg.space_name], slots: 1, name: msg.name ?? 'remote app' },
          {
            sendJob(job, files) {
              socket.reply({
                type: 'inference_request',
                request_id: job.id,
                username: job.owner.name,
                payload: {
                  prompt: job.inputs.prompt ?? '',
                  timestamp: new Date(job.created_at).toISOString(),
                  ...(job.inputs.options && { options: job.inputs.options }),
                  ...(files.length > 0 && {
                    files: files.map((f) => ({
                      name: f.file.name,
                      mime: f.file.mime,
                      size: f.file.size,
                      input: f.file.input,
                      data: f.bytes.toString('base64'),
                    })),
                  }),
                },
              });
              void session.jobEvent(job.id, async (held) => ({ event: { type: 'started', attempt: held.attempt, worker: session.link!.id }, ends: false })).catch(() => {}); // a cancel may have won the race; nothing to report
            },
            sendCancel(jobId, reason) {
              socket.reply({ type: 'inference_cancelled', request_id: jobId, reason });
              void core.dispatcher.freeSlot(session.link!, jobId);
            },
            sendDraining() {}, // the guide has no such message; the app simply gets no new requests
            disconnect(reason) {
              peer.close(1000, reason);
            },
          },
          (link, spaces) => {
            socket.reply({ type: 'registered', status: 'success', connection_id: link.id, space_id: spaces[0]!.id, space_name: spaces[0]!.name });
            // The dialect has no heartbeat: while the socket stays open (the ping sweep drops a
            // silent one) the app is alive, so its leases are renewed on the gateway's schedule.
            renew = setInterval(() => void core.dispatcher.heartbeat(link), config.core.heartbeatMs);
          },
        );
      } catch (err) {
        const e = asSpaceportError(err);
        if (e.code !== 'unauthorized' && e.code !== 'unknown_space' && e.code !== 'forbidden') throw err;
        socket.reply({ type: 'registration_failed', status: 'failed', code: e.code, error: e.message });
        peer.close(e.code === 'unauthorized' ? CLOSE.unauthorized : CLOSE.registrationFailed, e.code);
      }
      return;
    }
    if (msg.type === 'inference_result') {
      const data = msg.result ?? null;
      return session.jobEvent(msg.request_id, async () => ({ event: { type: 'result', data, files: [] }, ends: true, result: { data, files: [] } }));
    }
    return session.jobEvent(msg.request_id, async () => ({
      event: { type: 'failed', code: 'worker_error', message: msg.error ?? 'The remote app reported an error.' },
      ends: true,
    }));
  }

  return {
    message: handle,
    closed(code) {
      clearInterval(renew);
      session.closed(code, socket.afterPending, false); // the guide's apps do not re-attach: requeue at once
    },
  };
}
