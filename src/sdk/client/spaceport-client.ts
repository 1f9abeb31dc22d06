import { decodeFrame, encodeFrame } from '../../protocol/binary-frame.ts';
import { CLOSE } from '../../protocol/close-codes.ts';
import { Backoff, sleep } from '../backoff.ts';
import { JobHandle } from './job-handle.ts';
import { PushedFiles } from './pushed-files.ts';
import { uploadBlob, type UploadedBlob, type UploadOptions } from './resumable-upload.ts';
import { FINAL_TYPES, SpaceportError, type JobEvent, type JobPosition, type SpaceStatus, type SubmitInput } from './types.ts';
import { browserTransport, type Transport, type WebSocketLike } from './transport.ts';

export interface ClientOptions {
  /** The gateway: `http(s)://host:port` or `ws(s)://host:port`. */
  url: string;
  /** An API key (or session token); without one the client is anonymous. */
  token?: string;
  /** How to open a WebSocket. Default: the browser's `WebSocket`; in Node use `nodeTransport` from `spaceport/sdk/node`. */
  transport?: Transport;
  /** Reconnect and resume after an unexpected close (default true), with backoff bounds in ms. */
  reconnect?: boolean | { minMs?: number; maxMs?: number };
  /** Called on every connection state change (for a status light). */
  onState?: (state: ConnectionState) => void;
}

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

type Message = Record<string, any>;
type TopicListener = (message: Message) => void;

interface Pending {
  resolve(message: Message): void;
  /** Runs synchronously on the reply, before any later message is handled. */
  onReply?: ((message: Message) => void) | undefined;
  reject(err: Error): void;
}

/** Sends of one submit, each cut off by a dropped connection, before it gives up. */
const SUBMIT_ATTEMPTS = 5;

/** A fresh idempotency key: 128 random bits in hex (getRandomValues works in every browser context, randomUUID not). */
function randomKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The Spaceport client: submits jobs and follows them over one WebSocket, and keeps following
 * them across disconnects. After a reconnect every unfinished job is resumed from its last seq,
 * so each event reaches the caller exactly once and in order — or, if the gateway no longer has
 * them, an explicit `gap`/`lost` event says so.
 */
export class SpaceportClient {
  readonly httpUrl: string;
  private readonly wsUrl: string;
  private readonly transport: Transport;
  private socket: WebSocketLike | undefined;
  private state: ConnectionState = 'closed';
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly blobWaiters = new Map<string, (bytes: Uint8Array, header: Record<string, unknown>) => void>();
  private readonly jobs = new Map<string, JobHandle>();
  /** Jobs whose files come pushed after their events (kept across reconnects). */
  private readonly pushing = new Set<string>();
  private readonly pushed = new PushedFiles();
  private readonly topics = new Map<string, Set<TopicListener>>();
  private readonly backoff: Backoff;
  private nextId = 1;
  private userClosed = false;
  identity: { kind: string; name: string } | undefined;

  constructor(private readonly options: ClientOptions) {
    const base = options.url.replace(/\/+$/, '');
    this.httpUrl = base.replace(/^ws/, 'http');
    this.wsUrl = base.replace(/^http/, 'ws');
    this.transport = options.transport ?? browserTransport;
    const r = typeof options.reconnect === 'object' ? options.reconnect : {};
    this.backoff = new Backoff(r.minMs, r.maxMs);
  }

  /** Opens the connection; rejects if the first attempt fails (later drops reconnect on their own). */
  connect(): Promise<void> {
    this.userClosed = false;
    this.ready ??= this.open('connecting').catch((err: unknown) => {
      this.ready = undefined;
      this.setState('closed');
      throw err;
    });
    return this.ready;
  }

  /** One attempt: resolves on the gateway's hello, rejects if the socket closes before it. */
  private open(state: ConnectionState): Promise<void> {
    this.setState(state);
    return new Promise((resolve, reject) => {
      const socket = this.transport(`${this.wsUrl}/v1/ws`, this.options.token);
      socket.binaryType = 'arraybuffer';
      this.socket = socket;
      let greeted = false;
      socket.onmessage = (event) => {
        if (typeof event.data !== 'string') return this.onBinary(new Uint8Array(event.data as ArrayBuffer));
        const message = JSON.parse(event.data) as Message;
        if (!greeted && message.type === 'hello') {
          greeted = true;
          this.identity = message.identity;
          this.backoff.reset();
          this.setState('open');
          resolve();
          this.afterReconnect();
          return;
        }
        this.onMessage(message);
      };
      socket.onerror = () => {};
      socket.onclose = (event) => {
        if (this.socket === socket) this.socket = undefined;
        this.failPending();
        if (!greeted) reject(new SpaceportError('connect_failed', `Could not connect to ${this.wsUrl}/v1/ws (close ${event.code}${event.reason ? `: ${event.reason}` : ''}).`));
        else this.onDrop(event.code);
      };
    });
  }

  /**
   * The open connection went away: reconnect with backoff, unless closed on purpose — or because
   * the credential it was opened with was revoked (4003), which no retry with it can mend.
   */
  private onDrop(code: number): void {
    const revoked = code === CLOSE.credentialRevoked;
    if (this.userClosed || this.options.reconnect === false || revoked) {
      this.ready = undefined;
      this.setState('closed');
      if (revoked) this.endJobs('credential_revoked', 'The credential this client connected with was revoked.');
      else this.endJobs('closed', 'The connection closed before the job finished.');
      return;
    }
    this.ready = this.reconnect();
    this.ready.catch(() => {}); // requests awaiting it see the rejection themselves
  }

  private async reconnect(): Promise<void> {
    this.setState('reconnecting');
    while (!this.userClosed) {
      await sleep(this.backoff.next());
      if (this.userClosed) break;
      try {
        return await this.open('reconnecting');
      } catch {
        // keep trying: the gateway may be restarting
      }
    }
    throw new SpaceportError('closed', 'The client is closed.');
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.options.onState?.(state);
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** Resubscribes topics and resumes every unfinished job from its last seq. */
  private afterReconnect(): void {
    for (const topic of this.topics.keys()) if (!topic.startsWith('job:')) void this.request({ type: 'subscribe', topic }).catch(() => {});
    for (const job of this.jobs.values()) {
      if (job.finished) continue;
      const resume = { type: 'resume', job: job.id, after_seq: job.lastSeq, epoch: job.epoch, ...(this.pushing.has(job.id) && { push_files: true }) };
      // The ack comes before the replay: told at once, the handle takes the replayed numbers again.
      this.request(resume, [], (ack) => this.resumed(job, ack)).catch((err: SpaceportError) => {
        if (err.code !== 'connection_lost') job.recover({ type: 'lost', job: job.id, code: err.code, message: err.message });
      });
    }
  }

  /** A resume's ack: when the numbers the handle has no longer hold, it starts again from the current attempt. */
  private resumed(job: JobHandle, ack: Message): void {
    if (ack.recovered === false) job.recover({ type: 'reset', job: job.id, epoch: Number(ack.epoch ?? 1) });
    else if (typeof ack.epoch === 'number') job.epoch = ack.epoch;
  }

  private failPending(): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new SpaceportError('connection_lost', 'The connection dropped before the gateway answered.'));
    }
  }

  private endJobs(code: string, message: string): void {
    for (const job of this.jobs.values()) job.recover({ type: 'lost', job: job.id, code, message });
    this.jobs.clear();
  }

  private onMessage(message: Message): void {
    const id = message.id === undefined || message.id === null ? undefined : String(message.id);
    if (message.type === 'error') {
      if (this.pushed.gone(message)) return;
      if (message.code === 'resume_gap' && message.job) {
        this.jobs.get(message.job)?.recover({ type: 'gap', job: message.job, after_seq: message.after_seq, first_seq: message.first_seq });
        return;
      }
      const p = id === undefined ? undefined : this.pending.get(id);
      if (p) {
        this.pending.delete(id!);
        p.reject(new SpaceportError(message.code, message.message, message));
      } else this.emitTopic('error', message);
      return;
    }
    if (id !== undefined && (message.type === 'accepted' || message.type === 'ack' || message.type === 'pong')) {
      const p = this.pending.get(id);
      this.pending.delete(id);
      p?.onReply?.(message);
      p?.resolve(message);
      return;
    }
    if (message.type === 'space_status') {
      this.emitTopic(`space:${(message as SpaceStatus).space}`, message);
      this.emitTopic('all', message);
      return;
    }
    if (message.type === 'position' && typeof message.job === 'string') {
      this.jobs.get(message.job)?.moved(message as unknown as JobPosition);
      this.emitTopic(`job:${message.job}`, message);
      return;
    }
    if (typeof message.job === 'string' && typeof message.seq === 'number') {
      if (this.pushing.has(message.job) && this.pushed.hold(message, (m) => this.onJobEvent(m))) return;
      this.onJobEvent(message);
    }
  }

  private onJobEvent(message: Message): void {
    if (FINAL_TYPES.has(message.type)) this.pushing.delete(message.job);
    const handle = this.jobs.get(message.job);
    if (handle) {
      handle.deliver(message as JobEvent);
      if (handle.finished) this.jobs.delete(message.job);
    }
    this.emitTopic(`job:${message.job}`, message);
    if (!handle) for (const topic of this.topics.keys()) if (topic === 'all' || topic.startsWith('space:')) this.emitTopic(topic, message);
  }

  private onBinary(frame: Uint8Array): void {
    const decoded = decodeFrame(frame);
    if (!decoded || this.pushed.frame(decoded.header, decoded.payload)) return;
    const key = String(decoded.header.ref);
    const waiter = this.blobWaiters.get(key);
    this.blobWaiters.delete(key);
    waiter?.(decoded.payload, decoded.header);
  }

  private emitTopic(topic: string, message: Message): void {
    for (const listener of this.topics.get(topic) ?? []) listener(message);
  }

  /**
   * Sends a request with a fresh id and resolves with its reply (accepted/ack/pong) or rejects with
   * its error. `frames[i]`: the bytes of the message's file i, sent as a binary frame (none for a
   * file named by blob).
   */
  private async request(message: Message, frames: Array<Uint8Array | undefined> = [], onReply?: (reply: Message) => void): Promise<Message> {
    if (this.userClosed) throw new SpaceportError('closed', 'The client is closed.');
    await (this.ready ?? this.connect());
    const socket = this.socket;
    if (!socket) throw new SpaceportError('connection_lost', 'Not connected.');
    const id = `r${this.nextId++}`;
    const reply = new Promise<Message>((resolve, reject) => this.pending.set(id, { resolve, reject, onReply }));
    socket.send(JSON.stringify({ ...message, id }));
    frames.forEach((bytes, index) => bytes && socket.send(encodeFrame({ ref: id, index }, bytes)));
    return reply;
  }

  /**
   * Submits a job. Files go as binary frames. Resolves once accepted, with a handle that streams
   * the job's events. A submit in flight when the connection drops is sent again once reconnected,
   * with the same idempotency key (never two jobs); only after SUBMIT_ATTEMPTS drops in a row does it
   * reject with `connection_lost`. Submits made while reconnecting wait for it.
   */
  async submit(space: string, input: SubmitInput = {}): Promise<JobHandle> {
    const files = input.files ?? [];
    const bytes = await Promise.all(files.map(async (f) => ('blob' in f ? undefined : f.data instanceof Uint8Array ? f.data : new Uint8Array(await f.data.arrayBuffer()))));
    const specs = files.map((f) => ({ ...('blob' in f ? { blob: f.blob } : { binary: true as const }), name: f.name, mime: f.mime, ...(f.input && { input: f.input }) }));
    const message = {
      type: 'submit',
      space,
      ...(input.prompt !== undefined && { prompt: input.prompt }),
      ...(input.options && { options: input.options }),
      ...(specs.length > 0 && { files: specs }),
      ...(input.pushFiles && { push_files: true }),
      ...(input.priority !== undefined && { priority: input.priority }),
      ...(input.notBefore !== undefined && { not_before: new Date(input.notBefore).toISOString() }),
      ...(input.webhook && { webhook: input.webhook }),
      idempotency_key: input.idempotencyKey ?? randomKey(),
    };
    let handle: JobHandle | undefined;
    // The handle must exist before the job's first event is handled, and in Node several frames
    // can be dispatched in one tick, so it is made synchronously on the reply, not after an await.
    const onReply = (reply: Message) => {
      handle = this.track(reply.job, reply.space, reply.position, reply.eta_ms);
      if (input.pushFiles) this.pushing.add(reply.job);
    };
    // Cut off before the reply: sent again, with the same key, once reconnected — the gateway
    // answers with the job it made if the first one reached it.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.request(message, bytes, onReply);
        return handle!;
      } catch (err) {
        if ((err as SpaceportError).code !== 'connection_lost' || this.userClosed || this.options.reconnect === false || attempt >= SUBMIT_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * Follows a job submitted elsewhere (another page, HTTP), replaying its events after `afterSeq`;
   * with `pushFiles`, the files of its partial and result events come with them.
   */
  async follow(jobId: string, afterSeq = 0, opts: { pushFiles?: boolean } = {}): Promise<JobHandle> {
    const handle = this.jobs.get(jobId) ?? this.track(jobId, '', null, null);
    handle.lastSeq = Math.max(handle.lastSeq, afterSeq);
    if (opts.pushFiles) this.pushing.add(jobId);
    try {
      await this.request({ type: 'resume', job: jobId, after_seq: afterSeq, epoch: handle.epoch, ...(opts.pushFiles && { push_files: true }) }, [], (ack) => this.resumed(handle, ack));
    } catch (err) {
      this.jobs.delete(jobId);
      this.pushing.delete(jobId);
      throw err;
    }
    return handle;
  }

  private track(jobId: string, space: string, position: number | null, etaMs: number | null): JobHandle {
    const handle = new JobHandle(jobId, space, position, etaMs, (id) => this.cancel(id));
    this.jobs.set(jobId, handle);
    return handle;
  }

  async cancel(jobId: string): Promise<void> {
    await this.request({ type: 'cancel', job: jobId });
  }

  /**
   * Listens to a topic — `space:<name>` (status and the jobs you may see there), `all`, `job:<id>`
   * or `error` (errors not tied to a request). Kept across reconnects. Returns the unsubscribe.
   */
  async subscribe(topic: string, listener: TopicListener): Promise<() => void> {
    let set = this.topics.get(topic);
    const first = !set;
    if (!set) this.topics.set(topic, (set = new Set()));
    set.add(listener);
    if (first && topic !== 'error') await this.request({ type: 'subscribe', topic });
    return () => {
      set!.delete(listener);
      if (set!.size > 0) return;
      this.topics.delete(topic);
      if (topic !== 'error' && this.socket) void this.request({ type: 'unsubscribe', topic }).catch(() => {});
    };
  }

  async ping(): Promise<number> {
    const started = Date.now();
    await this.request({ type: 'ping' });
    return Date.now() - started;
  }

  /**
   * Uploads bytes as a blob (HTTP), for submits that refer to it (`{ blob: id }`) or to share.
   * Files of `resumableFrom` bytes or more (8 MiB by default) go with the tus protocol, in
   * chunks that survive a dropped connection (resumable-upload.ts); smaller ones in one request.
   */
  upload(data: Uint8Array | Blob, meta: { name: string; mime: string }, options: UploadOptions = {}): Promise<UploadedBlob> {
    return uploadBlob(this.httpUrl, this.authHeader(), data, meta, options);
  }

  /** Downloads a blob (a result file's `id`) over the WebSocket, as bytes. */
  async download(blobId: string): Promise<{ bytes: Uint8Array; name: string; mime: string }> {
    await (this.ready ?? this.connect());
    const id = `b${this.nextId++}`;
    const frame = new Promise<{ bytes: Uint8Array; name: string; mime: string }>((resolve, reject) => {
      this.blobWaiters.set(id, (bytes, header) => resolve({ bytes, name: String(header.name), mime: String(header.mime) }));
      this.pending.set(id, { resolve: () => {}, reject: (err) => (this.blobWaiters.delete(id), reject(err)) });
    }).finally(() => this.pending.delete(id));
    this.socket?.send(JSON.stringify({ type: 'fetch', id, blob: blobId }));
    return frame;
  }

  private authHeader(): Record<string, string> {
    return this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
  }

  /** Closes for good: no reconnect; unfinished jobs end with a `lost` event (code `closed`). */
  close(): void {
    this.userClosed = true;
    this.socket?.close(1000, 'client closed');
    if (!this.socket) {
      this.setState('closed');
      this.endJobs('closed', 'The client was closed before the job finished.');
    }
  }
}
