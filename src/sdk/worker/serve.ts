import { hostname } from 'node:os';
import { WebSocket } from 'ws';
import { decodeFrame, encodeFrame } from '../../protocol/binary-frame.ts';
import { CLOSE } from '../../protocol/close-codes.ts';
import type { JobFileHeader, JobMessage, WorkerBound } from '../../protocol/server-messages.ts';
import { Backoff, sleep } from '../backoff.ts';
import { KeptMessages } from './kept-messages.ts';
import type { WorkerOptions } from './worker-options.ts';

export type { WorkerLogEvent, WorkerOptions } from './worker-options.ts';

/** A file of a job, with its bytes (they followed the `job` message as a binary frame). */
export type WorkerFile = Omit<JobFileHeader, 'index'> & { data: Buffer };

/**
 * A job as a handler gets it: the gateway's `job` message (protocol/server-messages.ts: `user` is
 * who submitted it, a name to show; `owner` an opaque id that stays the same across their jobs —
 * key per-caller state by it), with its files' bytes and its deadline as a Date.
 */
export type WorkerJob = Omit<JobMessage, 'type' | 'job' | 'files' | 'deadline'> & { id: string; files: WorkerFile[]; deadline: Date };

export interface JobContext {
  /** Fires when the job is cancelled, times out, or the connection to the gateway is lost. */
  signal: AbortSignal;
  progress(fraction: number, message?: string): void;
  token(text: string): void;
  /**
   * A partial result: JSON `data`, and optionally files — live media such as a frame of a video
   * being made — sent as binary frames, relayed to the job's followers and held a while for
   * replays, never stored (docs/protocol.md, "Live media").
   */
  partial(data: unknown, files?: Array<{ name: string; mime: string; data: Uint8Array }>): void;
  /** Adds a file to the result (sent as a binary frame with it). */
  attach(name: string, mime: string, data: Uint8Array): void;
}

/**
 * Throw it from a handler when trying again may succeed (a busy or flaky dependency): the gateway
 * queues the job again after the space's backoff, up to its attempts, instead of failing it
 * (docs/queue.md). Any other error fails the job at once.
 */
export class RetryableError extends Error {
  override name = 'RetryableError';
}

/** Returns the result's JSON data (or undefined for none); a throw becomes the job's error. */
export type Handler = (job: WorkerJob, ctx: JobContext) => Promise<unknown> | unknown;

export interface RunningWorker {
  /** Resolves once registered the first time. */
  ready: Promise<void>;
  /** Jobs running now. */
  readonly running: number;
  /** Stops taking jobs, waits for running ones (at most timeoutMs, then aborts them), disconnects. */
  drain(timeoutMs?: number): Promise<void>;
  /** Disconnects now; running jobs are aborted (the gateway requeues them). */
  close(): void;
}

interface Running {
  controller: AbortController;
  cancelled: boolean;
  attempt: number;
  /**
   * It ended: kept (for a re-attach) until its last messages are known to have arrived — a pong to
   * a ping written after them on the same connection — since a connection can die with them in it.
   */
  done?: boolean;
  /** Its numbered messages, the latest of them kept: sent again after a re-attach if the gateway lacks them. */
  kept: KeptMessages;
}

/** What a job sends while the connection is down waits for the worker to re-attach, up to this much. */
const MAX_HELD_MESSAGES = 10_000;
/** The longest wait between reconnect tries while running jobs wait to be re-attached. */
const HOLDING_RETRY_MS = 1000;

/**
 * Serves jobs from the gateway with `handler`: dials out, registers, heartbeats, runs up to
 * `slots` jobs at once, streams what the handler emits, and reconnects with backoff when the
 * connection drops. Running jobs go on meanwhile: what they send waits, and the worker re-attaches
 * to them when it registers again (the same attempt, the stream going on); the ones the gateway no
 * longer gives it (it was away too long: they were requeued) are aborted then.
 */
export function serve(options: WorkerOptions, handler: Handler): RunningWorker {
  const url = `${options.host.replace(/\/+$/, '').replace(/^http/, 'ws')}/v1/worker`;
  const log = options.onLog ?? (() => {});
  const backoff = new Backoff();
  const running = new Map<string, Running>();
  let socket: WebSocket | undefined;
  let stopped = false;
  let draining = false;
  let markReady!: () => void;
  let failReady!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => ((markReady = resolve), (failReady = reject)));
  ready.catch(() => {});
  let registeredOnce = false;
  /** Who the gateway knew this worker as, for re-attaching after a reconnect. */
  let workerId: string | undefined;
  /** Messages of running jobs sent while the connection was down, in order (`numbered`: part of a numbered message, also kept to send again). */
  let held: Array<{ job: string; data: string | Uint8Array; numbered: boolean }> = [];
  /** Running jobs are given up if no connection takes them back by then. */
  let orphaned: NodeJS.Timeout | undefined;
  let leaseMs = 30_000;
  /** The current connection's pings not yet answered, oldest first: the jobs each confirms (confirmDelivery). */
  let awaitingPong: string[][] = [];

  /** Gives up every running job (they are the gateway's to requeue): none of them sends again. */
  const abortAll = (why: string) => {
    for (const r of running.values()) r.controller.abort(new Error(why));
    running.clear();
    held = [];
    clearTimeout(orphaned);
    orphaned = undefined;
  };
  /** A job's message: now, or once re-attached (dropped past MAX_HELD_MESSAGES, and the jobs with it). */
  const sendFor = (job: string, data: string | Uint8Array, numbered = false) => {
    if (socket?.readyState === WebSocket.OPEN && orphaned === undefined) return socket.send(data);
    if (!running.has(job)) return;
    if (held.length >= MAX_HELD_MESSAGES) return abortAll('too much to hold while the gateway was away');
    held.push({ job, data, numbered });
  };
  const send = (message: { type: string; job?: string; [field: string]: unknown }) => {
    if (message.job !== undefined) return sendFor(message.job, JSON.stringify(message));
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };
  /** An event of a running job, numbered (`n`), with the binary frames that belong to it; kept to send again. */
  const sendNumbered = (job: string, message: { type: string; [field: string]: unknown }, frames: Uint8Array[] = []) => {
    const r = running.get(job);
    if (!r) return;
    const parts = r.kept.add((n) => JSON.stringify({ ...message, job, n }), frames);
    for (const part of parts) sendFor(job, part, true);
  };
  /** After a re-attach: what the gateway lacks of a job it gave back (it has `received` of its numbered messages), in order. */
  const sendAgain = (ws: WebSocket, job: string, received: number): number => {
    let sent = 0;
    for (const parts of running.get(job)?.kept.after(received) ?? []) {
      for (const part of parts) ws.send(part);
      sent++;
    }
    return sent;
  };

  function connect(): void {
    log({ type: 'connecting', url });
    const ws = new WebSocket(url, { perMessageDeflate: false });
    socket = ws;
    // Each pong answers the oldest ping not yet answered: the jobs that ended before it was written.
    const pongs: string[][] = [];
    awaitingPong = pongs;
    ws.on('pong', () => {
      for (const job of pongs.shift() ?? []) if (running.get(job)?.done) running.delete(job);
    });
    let heartbeat: NodeJS.Timeout | undefined;
    /** Jobs announced but still waiting for their files' binary frames. */
    const incoming = new Map<string, { job: WorkerJob; missing: number }>();

    ws.on('open', () => {
      const reattach = workerId && running.size > 0 ? { worker: workerId, jobs: [...running].map(([job, r]) => ({ job, attempt: r.attempt })) } : undefined;
      ws.send(
        JSON.stringify({
          type: 'register',
          token: options.token,
          spaces: options.spaces,
          slots: options.slots ?? 1,
          name: options.name ?? defaultName(),
          ...(options.declare && { declare: options.declare }),
          ...(reattach && { reattach }),
        }),
      );
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        const frame = decodeFrame(data);
        const entry = frame && incoming.get(String(frame.header.ref));
        if (!frame || !entry) return;
        const file = entry.job.files[frame.header.index];
        if (file) file.data = Buffer.from(frame.payload);
        if (--entry.missing === 0) {
          incoming.delete(entry.job.id);
          start(entry.job);
        }
        return;
      }
      const msg = JSON.parse(data.toString('utf8')) as WorkerBound;
      switch (msg.type) {
        case 'registered': {
          backoff.reset();
          registeredOnce = true;
          workerId = msg.worker;
          leaseMs = msg.lease_ms;
          // Jobs that went on while the connection was down: the kept ones' messages go now, in
          // order; the others were given to someone else.
          clearTimeout(orphaned);
          orphaned = undefined;
          const kept = new Set(msg.reattached ?? []);
          for (const [job, r] of running) {
            if (kept.has(job)) continue;
            r.controller.abort(new Error('the gateway gave this job to another worker'));
            running.delete(job);
          }
          // The gateway counted what it has of each: everything after goes again (some were written
          // into the dead connection), then what was held meanwhile that is not numbered.
          const received = msg.received ?? {};
          const reattached = [...kept].map((job) => ({ job, ...(received[job] !== undefined && { received: received[job], sentAgain: sendAgain(ws, job, received[job]) }) }));
          for (const m of held) if (kept.has(m.job) && (received[m.job] === undefined || !m.numbered)) ws.send(m.data);
          held = [];
          confirmDelivery([...running].flatMap(([job, r]) => (r.done ? [job] : [])));
          heartbeat = setInterval(() => send({ type: 'heartbeat' }), msg.heartbeat_ms);
          log({ type: 'registered', worker: msg.worker, spaces: msg.spaces, slots: msg.slots, reattached });
          if (draining) send({ type: 'drain', draining: true });
          markReady();
          return;
        }
        case 'job': {
          const job: WorkerJob = {
            id: msg.job,
            space: msg.space,
            attempt: msg.attempt,
            user: msg.user,
            owner: msg.owner ?? msg.user,
            prompt: msg.prompt,
            options: msg.options ?? {},
            deadline: new Date(msg.deadline),
            files: (msg.files ?? []).map(({ index: _index, ...f }) => ({ ...f, data: Buffer.alloc(0) })),
            ...(msg.traceparent && { traceparent: msg.traceparent }),
          };
          if (job.files.length === 0) start(job);
          else incoming.set(job.id, { job, missing: job.files.length });
          return;
        }
        case 'cancel': {
          const r = running.get(msg.job);
          if (r) {
            r.cancelled = true;
            r.controller.abort(new Error(`cancelled: ${msg.reason}`));
          } else send({ type: 'cancelled', job: msg.job });
          return;
        }
        case 'error':
          log({ type: 'error', message: `${msg.code}: ${msg.message}` });
          return;
      }
    });
    ws.on('error', () => {});
    ws.on('close', (code, reason) => {
      clearInterval(heartbeat);
      if (socket === ws) socket = undefined;
      if (stopped) {
        abortAll('connection to the gateway closed');
        return;
      }
      // Running jobs go on; a connection that takes them back must come within the lease.
      if (running.size > 0 && orphaned === undefined) orphaned = setTimeout(() => abortAll('the gateway did not come back in time'), leaseMs);
      // A refused registration (bad token 4001, unknown space 4004) or a revoked token (4003) will not fix itself.
      if (code === CLOSE.unauthorized || code === CLOSE.registrationFailed || code === CLOSE.credentialRevoked) {
        stopped = true;
        clearTimeout(orphaned);
        abortAll('registration refused');
        const err = new Error(`registration refused (${code}): ${reason.toString() || 'see the gateway error'}`);
        log({ type: 'error', message: err.message });
        if (!registeredOnce) failReady(err);
        return;
      }
      // Holding running jobs, it tries at least every second (a tenth of the lease if shorter):
      // the gateway keeps them only a grace after a cut, or a lease after its restart, and a
      // doubling delay would step over that window and lose every job's work.
      const inMs = backoff.next(running.size > 0 ? Math.min(HOLDING_RETRY_MS, leaseMs / 10) : undefined);
      log({ type: 'reconnecting', inMs, reason: `closed ${code}` });
      setTimeout(() => !stopped && connect(), inMs);
    });
  }

  function start(job: WorkerJob): void {
    const controller = new AbortController();
    const state: Running = { controller, cancelled: false, attempt: job.attempt, kept: new KeptMessages() };
    running.set(job.id, state);
    const began = Date.now();
    const files: Array<{ name: string; mime: string; data: Uint8Array }> = [];
    const live = () => !controller.signal.aborted;
    // `started` goes once the handler has set off its work (a model server's request leaves
    // first: the first token's time), or before anything the handler sends, if that is sooner.
    let startedSent = false;
    const sendStarted = () => {
      if (startedSent) return;
      startedSent = true;
      sendNumbered(job.id, { type: 'started' });
    };
    const numbered = (message: { type: string; [field: string]: unknown }, frames?: Uint8Array[]) => {
      sendStarted();
      sendNumbered(job.id, message, frames);
    };
    /** A partial or the result, its files announced in it and sent right after as binary frames. */
    const sendWithFiles = (type: 'partial' | 'result', data: unknown, media: Array<{ name: string; mime: string; data: Uint8Array }>) => {
      const message = {
        type,
        ...(data !== undefined && { data }),
        ...(media.length > 0 && { files: media.map((f) => ({ name: f.name, mime: f.mime, binary: true })) }),
      };
      numbered(
        message,
        media.map((f, index) => encodeFrame({ ref: job.id, index }, f.data)),
      );
    };
    const ctx: JobContext = {
      signal: controller.signal,
      progress: (progress, message) => live() && numbered({ type: 'progress', progress, ...(message !== undefined && { message }) }),
      token: (text) => live() && numbered({ type: 'token', text }),
      partial(data, media = []) {
        if (live()) sendWithFiles('partial', data, media);
      },
      attach: (name, mime, data) => void files.push({ name, mime, data }),
    };
    void (async () => {
      try {
        const data = await handler(job, ctx);
        if (state.cancelled) return finish('cancelled');
        if (controller.signal.aborted) return; // the connection is gone; the gateway requeued the job
        sendWithFiles('result', data, files);
        finish('result');
      } catch (err) {
        if (state.cancelled) return finish('cancelled');
        if (controller.signal.aborted) return;
        const message = err instanceof Error ? err.message : String(err);
        numbered({ type: 'error', message, ...(err instanceof RetryableError && { retryable: true }) });
        finish('error', message);
      }
    })();
    // After what the handler's first synchronous steps queued (a request's write is a nextTick).
    process.nextTick(() => {
      if (running.get(job.id) === state) sendStarted();
      log({ type: 'job', job: job.id, space: job.space, attempt: job.attempt });
    });

    function finish(outcome: 'result' | 'error' | 'cancelled', message?: string) {
      if (outcome === 'cancelled') send({ type: 'cancelled', job: job.id });
      // Its last messages may be waiting for a re-attach, or in a connection that died without
      // either end knowing yet: it stays known until they are known to have arrived.
      state.done = true;
      if (orphaned === undefined) confirmDelivery([job.id]);
      log({ type: 'done', job: job.id, ms: Date.now() - began, outcome, ...(message !== undefined && { message }) });
    }
  }

  /**
   * The jobs that ended are forgotten once the gateway has read their last messages: a ping written
   * after them is answered only after them (one connection, in order). If the connection dies
   * first, they stay, and the re-attach sends what the gateway lacks.
   */
  function confirmDelivery(jobs: string[]): void {
    if (jobs.length === 0 || socket?.readyState !== WebSocket.OPEN) return;
    awaitingPong.push(jobs);
    socket.ping();
  }

  async function drain(timeoutMs = options.drainTimeoutMs ?? 30_000): Promise<void> {
    draining = true;
    send({ type: 'drain', draining: true });
    log({ type: 'draining', running: running.size });
    const until = Date.now() + timeoutMs;
    while (running.size > 0 && Date.now() < until) await sleep(50);
    close();
  }

  function close(): void {
    stopped = true;
    for (const r of running.values()) r.controller.abort(new Error('worker closed'));
    socket?.close(1000, 'worker closed');
  }

  if (options.handleSignals ?? true) {
    const onSignal = () => void drain().then(() => process.exit(0));
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  connect();
  return {
    ready,
    get running() {
      return running.size;
    },
    drain,
    close,
  };
}

function defaultName(): string {
  return `${hostname()}:${process.pid}`;
}
