import type { Decoded } from '../../protocol/decode.ts';
import { SpaceportError, asSpaceportError } from '../../protocol/errors.ts';
import type { ServerContext } from '../server-context.ts';
import { MALFORMED_FRAME, type Attachments } from './attachments.ts';
import type { FrameHeader } from '../../protocol/binary-frame.ts';
import type { FrameReceiver, Receiver } from '../../wire/connection.ts';
import type { Peer } from './peer.ts';

export type Upload = Promise<Array<Buffer | undefined>>;

/**
 * The most pipelined messages of one connection in flight at once (InboundHandlers.pipelines).
 * Measured under Redis (bench:ab): one client's 5,000 submits to 1,000 one-slot workers went
 * 2,158 / 2,439 / 2,769 jobs/s at 2 / 4 / 8; with no bound, 200 clients' bursts of 25 were 0.87×
 * as fast (0.96× at 8): the SUBMITs of every connection at once hold Redis while results wait.
 * One connection must not take more than its share.
 */
const PIPELINE_DEPTH = 8;

export interface InboundHandlers<T> {
  decode(text: string): Decoded<T>;
  /** Runs at once, before the chain: registers the binary parts a message announces (they may arrive before its turn). */
  expectUploads(msg: T): Upload | string;
  /** `issued` is given for a message `pipelines` names: see there. */
  handle(msg: T, upload: Upload, issued?: () => void): Promise<void>;
  /**
   * Messages of which one may start before the one before it is done, when that one is of the
   * same kind: its `handle` calls `issued` once the step that must keep arrival order is taken (a
   * submit's engine call — under Redis its SUBMIT script, so jobs still queue in the order their
   * submits came), and the next starts then, its answer awaited alongside (a round trip per
   * submit otherwise, one after another, for a client sending many). Whatever else came before
   * is still done first, and reports still go in order. Only where the engine is remote (Redis):
   * one in this process answers at once, and there a submit begun early only bunches the work.
   */
  pipelines?(msg: T): boolean;
  /**
   * Optionally starts a message's work at once, on arrival, instead of when its turn comes (in
   * place of `handle`); it still finishes (and reports) in order. For messages whose
   * effects a networked engine keeps in the order they were issued (a worker's tokens), this
   * pipelines the engine's round trips instead of paying one per message. `DONE`: it was handled
   * completely, at once, without error — nothing is left to wait for or to report.
   */
  begin?(msg: T, upload: Upload): Promise<void> | typeof DONE | undefined;
  /**
   * How this protocol reports an error (default: `{type:"error", code, message, id}`). `id` is the
   * message's correlation value when one could be read (`id`, or a dialect's own field).
   */
  reportError?(error: SpaceportError, id: string | number | undefined): void;
}

/**
 * The inbound side every endpoint shares: rate limit, binary frames to their attachments, decode
 * with documented errors, and handling strictly in arrival order (a cancel never overtakes the
 * submit before it; a worker's tokens keep their order whatever a handler awaits).
 */
export function handleInbound<T extends { type: string; id?: string | number | undefined }>(
  ctx: ServerContext,
  peer: Peer,
  attachments: Attachments,
  handlers: InboundHandlers<T>,
  /** Given for endpoints that take file frames: their largest message (the wire may read large ones straight into their memory). */
  largeFrames?: { maxPayload: number },
): { afterPending(task: () => Promise<void>): Promise<void> } {
  const inbound = new Inbound(ctx, peer, attachments, handlers, largeFrames && new FileFrames(ctx, peer, attachments, handlers, largeFrames.maxPayload));
  peer.connection.receive(inbound);
  peer.onClose(attachments);
  return inbound;
}

/**
 * One connection's inbound messages, as its wire hands them over. A class, not closures: every
 * connection has one, and its methods are shared rather than made per connection (memory held by
 * every idle client; docs/benchmarks.md, idle connections).
 */
class Inbound<T extends { type: string; id?: string | number | undefined }> implements Receiver {
  private chain: Promise<void> = Promise.resolve();
  /**
   * Messages read but not yet handled. A sender faster than their handling (a worker's tokens
   * through a Redis round trip) is not read further until the backlog halves: TCP pushes back on
   * it, and this process's memory — and the garbage collector's work over it — stays bounded.
   */
  private backlog = 0;
  /** The last link: messages begun with the same promise (a batch of streamed events) join it. */
  private last: Link | undefined;

  constructor(
    private readonly ctx: ServerContext,
    private readonly peer: Peer,
    private readonly attachments: Attachments,
    private readonly handlers: InboundHandlers<T>,
    readonly frames: FrameReceiver | undefined,
  ) {}

  binary(data: Buffer): void {
    if (!arrived(this.ctx, this.peer, this.handlers)) return;
    try {
      this.attachments.accept(data);
    } catch (err) {
      reportTo(this.peer, this.handlers, asSpaceportError(err), undefined);
    }
  }

  text(data: string): void {
    const { peer, handlers } = this;
    if (!arrived(this.ctx, peer, handlers)) return;
    const decoded = handlers.decode(data);
    if (!decoded.ok) return reportTo(peer, handlers, decoded.error, decoded.id);
    const msg = decoded.value;
    const upload = handlers.expectUploads(msg);
    if (typeof upload === 'string') return reportTo(peer, handlers, new SpaceportError('invalid_message', upload), msg.id);
    if (upload !== NO_UPLOAD) upload.catch(() => {}); // surfaced when the chain reaches this message
    let begun: Promise<void> | typeof DONE | undefined;
    try {
      begun = handlers.begin?.(msg, upload);
    } catch (err) {
      begun = Promise.reject(err);
    }
    if (begun === DONE) return;
    if (++this.backlog === this.ctx.config.limits.maxInboundBacklog) peer.connection.pause();
    const id = decoded.id ?? msg.id;
    const last = this.last;
    if (begun && last?.open && last.begun === begun) {
      last.ids.push(id);
      return;
    }
    begun?.catch(() => {}); // likewise
    const link: Link = { begun, ids: [id], type: msg.type, open: true };
    if (!begun && this.ctx.engine.remote === true && handlers.pipelines?.(msg)) {
      // Starts once the one before it issued, when that one was pipelined and is still going; else
      // once everything before it is done.
      const going = last?.open ? last.pipelined : undefined;
      const ends = going?.ends ?? [];
      let after: Promise<unknown> = going ? going.issued : this.chain;
      // And once the one PIPELINE_DEPTH before it ended: a connection's burst has at most that many in flight.
      if (ends.length === PIPELINE_DEPTH) after = Promise.all([after, ends.shift()]);
      let issued!: () => void;
      const pipelined = { issued: new Promise<void>((resolve) => (issued = resolve)), ends };
      begun = after.then(() => handlers.handle(msg, upload, issued));
      // One refused before its step lets the next start too.
      ends.push(begun.then(issued, issued));
      link.pipelined = pipelined;
    }
    this.last = link;
    this.chain = this.chain.then(() =>
      (begun ?? handlers.handle(msg, upload)).then(
        () => this.finish(link),
        (err) => this.finish(link, true, err),
      ),
    );
  }

  /** Runs `task` once every message received so far has been handled. */
  afterPending(task: () => Promise<void>): Promise<void> {
    this.last = undefined; // a message after this must not join a link before the task
    return (this.chain = this.chain.then(task));
  }

  /** The messages of one link of the chain are handled: count them off, and report each one's error. */
  private finish(link: Link, failed = false, err?: unknown): void {
    link.open = false;
    const { ctx, peer } = this;
    const e = failed ? asSpaceportError(err) : undefined;
    if (e?.code === 'internal_error') ctx.log.error({ err, type: link.type, endpoint: peer.endpoint }, 'message failed');
    const { maxInboundBacklog } = ctx.config.limits;
    for (const id of link.ids) {
      if (e) reportTo(peer, this.handlers, e, id);
      if (--this.backlog === maxInboundBacklog >> 1 && peer.connection.paused) peer.connection.resume();
    }
  }
}

/** One link of the inbound chain: a message, or consecutive ones begun with one promise. */
interface Link {
  begun: Promise<void> | undefined;
  /** Each message's correlation id, for its error report. */
  ids: Array<string | number | undefined>;
  type: string;
  /** Not yet settled: messages may still join. */
  open: boolean;
  /**
   * A pipelined message's (InboundHandlers.pipelines): settled once it issued, or ended before; and
   * the ends of the last ones of its run of pipelined messages (at most PIPELINE_DEPTH), shared by the run.
   */
  pipelined?: { issued: Promise<void>; ends: Array<Promise<void>> };
}

/**
 * The same steps as a binary message (above), for a large file frame the wire reads into the
 * memory given here. A class, not closures: every connection that takes files has one, most never use it.
 */
class FileFrames implements FrameReceiver {
  constructor(
    private readonly ctx: ServerContext,
    private readonly peer: Peer,
    private readonly attachments: Attachments,
    private readonly handlers: Pick<InboundHandlers<unknown>, 'reportError'>,
    readonly maxPayload: number,
  ) {}

  open(header: FrameHeader, size: number): Buffer | undefined {
    if (!this.arrived()) return undefined;
    try {
      return this.attachments.place(header, size);
    } catch (err) {
      reportTo(this.peer, this.handlers, asSpaceportError(err), undefined);
      return undefined;
    }
  }

  filled(header: FrameHeader, payload: Buffer): void {
    this.attachments.filled(header, payload);
  }

  malformed(): void {
    if (this.arrived()) reportTo(this.peer, this.handlers, new SpaceportError('unexpected_binary', MALFORMED_FRAME), undefined);
  }

  private arrived(): boolean {
    return arrived(this.ctx, this.peer, this.handlers);
  }
}

/** A message came in: counted, and let through unless over the connection's rate (then reported). */
function arrived(ctx: ServerContext, peer: Peer, handlers: Pick<InboundHandlers<unknown>, 'reportError'>): boolean {
  ctx.metrics.messages.countIn(peer.endpoint);
  // Heard from: as good as a pong (which, behind a burst of messages, may not be read in time).
  peer.alive = true;
  if (peer.allowMessage()) return true;
  reportTo(peer, handlers, new SpaceportError('rate_limited'), undefined);
  return false;
}

/** The protocol's own error report, or ours: `{type:"error", code, message, id}`. */
function reportTo(peer: Peer, handlers: Pick<InboundHandlers<unknown>, 'reportError'>, e: SpaceportError, id: string | number | undefined): void {
  if (handlers.reportError) handlers.reportError(e, id);
  else peer.error(e.code, e.message, { ...e.details, ...(id !== undefined && { id }) });
}

export const NO_UPLOAD: Upload = Promise.resolve([]);

/** What `begin` returns for a message it handled completely, at once. */
export const DONE = Symbol('done');
