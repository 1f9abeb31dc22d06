import type { WebSocket } from 'ws';
import type { JobEvent } from '../../core/job-events.ts';
import { newId } from '../../core/ids.ts';
import { publicFile, type JobResult, type Space } from '../../core/types.ts';
import type { HeldJob, WorkerLink } from '../../core/worker-link.ts';
import { encodeFrame } from '../../protocol/binary-frame.ts';
import { CLOSE } from '../../protocol/close-codes.ts';
import { decodeMessage } from '../../protocol/decode.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import { WORKER_TYPES, WorkerMessage } from '../../protocol/worker-messages.ts';
import { binaryIndexes, storeResultFiles } from '../file-specs.ts';
import type { ServerContext } from '../server-context.ts';
import { Attachments } from './attachments.ts';
import { NO_UPLOAD, handleInbound } from './inbound.ts';
import { Peer } from './peer.ts';

const UPLOAD_TIMEOUT_MS = 60_000;

type Registration = Extract<WorkerMessage, { type: 'register' }>;

/** The worker protocol on /v1/worker (docs/protocol.md): register, receive jobs, stream events back. */
export function acceptWorker(ctx: ServerContext, ws: WebSocket, headerToken: string | undefined): Peer {
  const { core, engine, config } = ctx;
  const peer = new Peer(ws, 'worker', config.limits, ctx.metrics);
  ctx.peers.add(peer);
  const attachments = new Attachments(UPLOAD_TIMEOUT_MS, config.limits.maxBlobBytes);
  let link: WorkerLink | null = null;

  const refuse = (code: 'unauthorized' | 'unknown_space' | 'forbidden', message: string) => {
    peer.error(code, message);
    peer.close(code === 'unauthorized' ? CLOSE.unauthorized : CLOSE.registrationFailed, code);
  };

  async function register(msg: Registration): Promise<void> {
    if (link) throw new SpaceportError('already_registered');
    const credential = await ctx.auth.workerCredential(msg.token ?? headerToken);
    if (!credential) return refuse('unauthorized', 'A valid worker token is required to register.');
    const spaces: Space[] = [];
    for (const name of new Set(msg.spaces)) {
      const space = await engine.getSpace(name);
      if (!space) return refuse('unknown_space', `No space is named "${name}".`);
      if (credential !== 'admin' && credential.space_id !== space.id) return refuse('forbidden', `This worker token is not valid for space "${name}".`);
      spaces.push(space);
    }
    const id = newId('worker');
    link = {
      id,
      name: msg.name ?? id,
      spaceIds: spaces.map((s) => s.id),
      slots: msg.slots,
      connectedAt: Date.now(),
      draining: false,
      closed: false,
      silent: false,
      reserved: 0,
      held: new Map(),
      sendJob(job, files) {
        peer.sendJson({
          type: 'job',
          job: job.id,
          space: job.space,
          attempt: job.attempt,
          user: job.owner.name,
          prompt: job.inputs.prompt ?? null,
          options: job.inputs.options ?? {},
          deadline: new Date(job.deadline).toISOString(),
          files: files.map((f, index) => ({ index, name: f.file.name, mime: f.file.mime, size: f.file.size, input: f.file.input })),
        });
        files.forEach((f, index) => peer.send(encodeFrame({ ref: job.id, index }, f.bytes)));
      },
      sendCancel(jobId, reason) {
        peer.sendJson({ type: 'cancel', job: jobId, reason });
      },
    };
    // Registered goes out before any job can be dispatched to the new link.
    peer.sendJson({
      type: 'registered',
      worker: id,
      slots: msg.slots,
      heartbeat_ms: config.core.heartbeatMs,
      lease_ms: config.core.leaseMs,
      spaces: spaces.map((s) => ({ id: s.id, name: s.name, inputs: s.inputs, timeout_s: s.timeout_s })),
    });
    ctx.log.info({ worker: id, name: link.name, spaces: msg.spaces, slots: msg.slots }, 'worker registered');
    await core.dispatcher.addWorker(link);
  }

  /** Applies an event to a job this worker holds; a job it no longer holds gets stale_lease. */
  async function jobEvent(w: WorkerLink, jobId: string, build: (held: HeldJob) => Promise<{ event: JobEvent; ends: boolean; result?: JobResult }>): Promise<void> {
    const held = w.held.get(jobId);
    if (!held) throw new SpaceportError('stale_lease', `This worker does not hold job ${jobId}.`, { job: jobId });
    const { event, ends, result } = await build(held);
    const appended = await core.jobs.workerEvent(held, w.id, event, result);
    if (ends || !appended) await core.dispatcher.freeSlot(w, jobId);
    if (!appended && !held.cancelling) throw new SpaceportError('stale_lease', `Job ${jobId} is no longer held by this worker; the message was discarded.`, { job: jobId });
  }

  async function handle(msg: WorkerMessage, upload: Promise<Array<Buffer | undefined>>): Promise<void> {
    if (msg.type === 'register') return register(msg);
    const w = link;
    if (!w) throw new SpaceportError('not_registered');
    switch (msg.type) {
      case 'heartbeat':
        return core.dispatcher.heartbeat(w);
      case 'drain':
        await core.dispatcher.setDraining(w, msg.draining);
        peer.sendJson({ type: 'draining', draining: msg.draining, running: w.held.size });
        return;
      case 'cancelled':
        return core.dispatcher.freeSlot(w, msg.job);
      case 'started':
        return jobEvent(w, msg.job, async (h) => ({ event: { type: 'started', attempt: h.attempt, worker: w.id }, ends: false }));
      case 'progress':
        return jobEvent(w, msg.job, async () => ({ event: { type: 'progress', progress: msg.progress, ...(msg.message !== undefined && { message: msg.message }) }, ends: false }));
      case 'token':
        return jobEvent(w, msg.job, async () => ({ event: { type: 'token', text: msg.text }, ends: false }));
      case 'partial':
        return jobEvent(w, msg.job, async () => ({ event: { type: 'partial', data: msg.data ?? null }, ends: false }));
      case 'error':
        return jobEvent(w, msg.job, async () => ({ event: { type: 'failed', code: 'worker_error', message: msg.message }, ends: true }));
      case 'result':
        return jobEvent(w, msg.job, async () => {
          const files = await storeResultFiles(engine, msg.job, msg.files ?? [], await upload, config.limits.maxBlobBytes);
          const data = msg.data ?? null;
          return { event: { type: 'result', data, files: files.map(publicFile) }, ends: true, result: { data, files } };
        });
    }
  }

  const inbound = handleInbound(ctx, peer, attachments, {
    decode: (text) => decodeMessage(text, WorkerMessage, WORKER_TYPES),
    expectUploads(msg) {
      const binary = msg.type === 'result' && msg.files ? binaryIndexes(msg.files) : [];
      return binary.length === 0 ? NO_UPLOAD : attachments.expect((msg as { job: string }).job, binary, (msg as { files: unknown[] }).files.length);
    },
    handle,
  });

  ws.on('close', (code) => {
    const w = link;
    if (!w) return;
    ctx.log.info({ worker: w.id, code, running: w.held.size }, 'worker disconnected');
    // Messages already received (a result being stored) are handled before the worker's jobs are released.
    inbound.afterPending(() => core.dispatcher.removeWorker(w, 'worker disconnected')).catch((err) => ctx.log.error({ err }, 'worker removal failed'));
  });
  return peer;
}
