import { publicFile } from '../../core/types.ts';
import { CLOSE } from '../../protocol/close-codes.ts';
import { decodeMessage } from '../../protocol/decode.ts';
import { asSpaceportError } from '../../protocol/errors.ts';
import { WORKER_TYPES, WorkerMessage, asStreamed } from '../../protocol/worker-messages.ts';
import { binaryIndexes, storeWorkerFiles } from '../file-specs.ts';
import type { ServerContext } from '../server-context.ts';
import { WorkerSession } from '../worker-session.ts';
import { Attachments } from './attachments.ts';
import { DONE, NO_UPLOAD, handleInbound, type Upload } from './inbound.ts';
import type { Now } from '../../core/now.ts';
import { Peer } from './peer.ts';
import { giveBack } from '../../protocol/lent-bytes.ts';
import type { CancelMessage, DrainingMessage, JobMessage, RegisteredMessage } from '../../protocol/server-messages.ts';
import type { Connection } from '../../wire/connection.ts';

const UPLOAD_TIMEOUT_MS = 60_000;

type Registration = Extract<WorkerMessage, { type: 'register' }>;

/** The worker protocol on /v1/worker (docs/protocol.md): register, receive jobs, stream events back. */
export function acceptWorker(ctx: ServerContext, connection: Connection, headerToken: string | undefined): Peer {
  const { core, engine, config } = ctx;
  const peer = new Peer(connection, 'worker', 'worker', config.limits, ctx.metrics);
  ctx.peers.add(peer);
  const attachments = new Attachments(UPLOAD_TIMEOUT_MS, config.limits.maxBlobBytes);
  const session = new WorkerSession(ctx, connection);

  async function register(msg: Registration): Promise<void> {
    try {
      await session.register(
        { token: msg.token ?? headerToken, spaces: msg.spaces, slots: msg.slots, name: msg.name, reattach: msg.reattach, declare: msg.declare },
        {
          sendJob(job, files) {
            peer.sendJson({
              type: 'job',
              job: job.id,
              space: job.space,
              attempt: job.attempt,
              user: job.owner.name,
              owner: job.owner.id,
              prompt: job.inputs.prompt ?? null,
              options: job.inputs.options ?? {},
              deadline: new Date(job.deadline).toISOString(),
              files: files.map((f, index) => ({ index, name: f.file.name, mime: f.file.mime, size: f.file.size, input: f.file.input })),
              ...(job.inputs.traceparent && { traceparent: job.inputs.traceparent }),
            } satisfies JobMessage);
            files.forEach((f, index) => peer.sendFrame({ ref: job.id, index }, f.bytes));
            peer.flush();
          },
          sendCancel(jobId, reason) {
            peer.sendJson({ type: 'cancel', job: jobId, reason } satisfies CancelMessage);
          },
          sendDraining(draining) {
            peer.sendJson({ type: 'draining', draining, running: session.link?.held.size ?? 0, by: 'admin' } satisfies DrainingMessage);
          },
          disconnect(reason) {
            peer.close(CLOSE.normal, reason);
          },
        },
        (link, spaces, reattached) =>
          peer.sendJson({
            type: 'registered',
            worker: link.id,
            slots: msg.slots,
            heartbeat_ms: config.core.heartbeatMs,
            lease_ms: config.core.leaseMs,
            spaces: spaces.map((s) => ({ id: s.id, name: s.name, inputs: s.inputs, timeout_s: s.timeout_s })),
            ...(msg.reattach && { reattached: reattached.map((r) => r.job), received: Object.fromEntries(reattached.flatMap((r) => (r.received === undefined ? [] : [[r.job, r.received]]))) }),
          } satisfies RegisteredMessage),
      );
    } catch (err) {
      const e = asSpaceportError(err);
      if (e.code !== 'unauthorized' && e.code !== 'unknown_space' && e.code !== 'forbidden') throw err;
      peer.error(e.code, e.message);
      peer.close(e.code === 'unauthorized' ? CLOSE.unauthorized : CLOSE.registrationFailed, e.code);
    }
  }

  /** The work of the latest streamed message, and how many are waiting for a partial's binary files. */
  let lastBegun: Promise<void> | undefined;
  let waiting = 0;

  /**
   * Streaming events start on arrival (see InboundHandlers.begin), so they reach the engine in
   * arrival order. A partial with binary files cannot start before its frames are in; from then
   * until it is appended, the streamed messages after it start only once the one before them is
   * done, so none overtakes it.
   */
  function begin(msg: WorkerMessage, upload: Upload): Promise<void> | typeof DONE | undefined {
    // Where an engine claims with a result (Redis), a result without files starts on arrival too,
    // right behind the events before it: it leaves in one call with those still gathered in the
    // turn (a short job's `started`). (The embedded engine applies it in the same turn either way.)
    if (msg.type === 'result' && !msg.files?.length && waiting === 0 && engine.finishAndClaim) return handle(msg, upload);
    if (msg.type !== 'started' && msg.type !== 'progress' && msg.type !== 'token' && msg.type !== 'partial') return undefined;
    // Numbered in arrival order, so a message sent again after a re-attach is taken once.
    if (!session.takes(msg.job, msg.n)) return skip(upload);
    if (upload === NO_UPLOAD && waiting === 0) {
      const now = streamed(msg, upload);
      lastBegun = now instanceof Promise ? now : undefined;
      return lastBegun ?? DONE;
    }
    const start = () => handle(msg, upload);
    waiting += 1;
    const begun = Promise.all([lastBegun?.catch(() => {}), upload]).then(start);
    void begun
      .catch(() => {})
      .then(() => {
        waiting -= 1;
        letGo(upload);
      });
    return (lastBegun = begun);
  }

  /** A streamed event, applied at once where the engine allows (see WorkerSession.streamEvent). */
  function streamed(msg: Extract<WorkerMessage, { type: 'started' | 'progress' | 'token' | 'partial' }>, upload: Upload): Now<void> {
    switch (msg.type) {
      case 'started':
        return session.streamEvent(msg.job, (h) => ({ type: 'started', attempt: h.attempt, worker: session.registered().id }));
      case 'progress':
        return session.streamEvent(msg.job, () => ({ type: 'progress', progress: msg.progress, ...(msg.message !== undefined && { message: msg.message }) }));
      case 'token':
        return session.streamEvent(msg.job, () => ({ type: 'token', text: msg.text }));
      case 'partial':
        // Built at once, so each reaches the engine in the turn it begins, in arrival order; one
        // with files waits for them, and begin() holds back what follows it.
        if (!msg.files) return session.streamEvent(msg.job, () => ({ type: 'partial', data: msg.data ?? null }));
        return session.jobEvent(msg.job, async () => {
          // Live media: held for replays a while, not stored (LiveBlobs, docs/protocol.md).
          const files = await storeWorkerFiles((meta, bytes) => engine.putLiveBlob(meta, bytes), msg.job, msg.files!, await upload, config.limits.maxBlobBytes);
          return { event: { type: 'partial', data: msg.data ?? null, files: files.map(publicFile) }, ends: false };
        });
    }
  }

  /** Memory a message's parts were read into (a ring region) goes back, once read, if its event did not keep it. */
  function letGo(upload: Upload): void {
    void upload.then(
      (parts) => parts.forEach(giveBack),
      () => {},
    );
  }

  /** A message not taken: its files' frames, if any, are read and let go. */
  function skip(upload: Upload): typeof DONE {
    letGo(upload);
    return DONE;
  }

  async function handle(msg: WorkerMessage, upload: Upload): Promise<void> {
    if (msg.type === 'register') return register(msg);
    const w = session.registered();
    if ((msg.type === 'result' || msg.type === 'error') && !session.takes(msg.job, msg.n)) return void skip(upload);
    switch (msg.type) {
      case 'heartbeat':
        return core.dispatcher.heartbeat(w);
      case 'drain':
        await core.dispatcher.setDraining(w, msg.draining);
        peer.sendJson({ type: 'draining', draining: msg.draining, running: w.held.size } satisfies DrainingMessage);
        return;
      case 'cancelled':
        return core.dispatcher.freeSlot(w, msg.job);
      case 'started':
      case 'progress':
      case 'token':
      case 'partial':
        return streamed(msg, upload);
      case 'error':
        if (msg.retryable) return session.retryLater(msg.job, msg.message);
        return session.jobEvent(msg.job, () => ({ event: { type: 'failed', code: 'worker_error', message: msg.message }, ends: true }));
      case 'result':
        // Without files there is nothing to wait for (the commonest result: text or JSON).
        if (!msg.files?.length) {
          const data = msg.data ?? null;
          return session.jobEvent(msg.job, () => ({ event: { type: 'result', data, files: [] }, ends: true, result: { data, files: [] } }));
        }
        return session.jobEvent(msg.job, async () => {
          const files = await storeWorkerFiles((meta, bytes) => engine.putBlob(meta, bytes), msg.job, msg.files ?? [], await upload, config.limits.maxBlobBytes);
          const data = msg.data ?? null;
          return { event: { type: 'result', data, files: files.map(publicFile) }, ends: true, result: { data, files } };
        });
    }
  }

  const inbound = handleInbound(
    ctx,
    peer,
    attachments,
    {
      decode: (text) => decodeMessage(text, WorkerMessage, WORKER_TYPES, 'id', asStreamed),
      expectUploads(msg) {
        const binary = (msg.type === 'result' || msg.type === 'partial') && msg.files ? binaryIndexes(msg.files) : [];
        if (binary.length === 0) return NO_UPLOAD;
        // A partial's files are live media: read straight into the engine's memory for them, where it has some.
        const memory = msg.type === 'partial' && engine.reserveLiveBlob ? (size: number) => engine.reserveLiveBlob!(size) : undefined;
        return attachments.expect((msg as { job: string }).job, binary, (msg as { files: unknown[] }).files.length, memory);
      },
      handle,
      begin,
    },
    { maxPayload: config.limits.workerMaxMessageBytes },
  );

  connection.onClose((code) => session.closed(code, (task) => inbound.afterPending(task)));
  return peer;
}
