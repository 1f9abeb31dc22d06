import { frameHead, type FrameHeader } from '../../protocol/binary-frame.ts';
import { CLOSE } from '../../protocol/close-codes.ts';
import { ERRORS, type ErrorCode } from '../../protocol/errors.ts';
import type { Limits } from '../config.ts';
import type { Metrics } from '../metrics.ts';
import { giveBack } from '../../protocol/lent-bytes.ts';
import type { Connection } from '../../wire/connection.ts';
import { dropped, type OutMessage, partsLength } from '../../wire/out-message.ts';

/** Below this many bytes waiting in the connection we write straight through; above it we queue (and may coalesce). */
const HIGH_WATER = 256 * 1024;

/** A part of a connection (or the registry of them) that has something to drop when it closes. */
export interface PeerCloseListener {
  peerClosed(peer: Peer): void;
}

interface Queued {
  data: OutMessage;
  bytes: number;
  key: string | undefined;
}

/**
 * One WebSocket connection (a wire's Connection) with the edge rules every endpoint shares: a
 * bounded outbound queue (a consumer that falls past `maxOutboundBytes` is closed with 4008 and
 * resumes by seq), a message rate limit, idle and liveness tracking, and metrics. Sending never throws.
 */
export class Peer {
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private tokens: number;
  private readonly rate: number;
  private readonly burst: number;
  private lastRefill = Date.now();
  lastActivity = Date.now();
  alive = true;
  closed = false;
  /** Told when the socket closes (one listener here rather than one per part of the connection). */
  private closeListeners: PeerCloseListener[] | undefined;

  constructor(
    readonly connection: Connection,
    /** The path's name in metrics: client, worker, or a dialect. */
    readonly endpoint: string,
    /** Which side of the gateway it is on: decides the close code at shutdown. */
    readonly role: 'client' | 'worker',
    private readonly limits: Limits,
    private readonly metrics: Metrics,
  ) {
    this.rate = role === 'worker' ? limits.workerMessagesPerSecond : limits.messagesPerSecond;
    this.burst = role === 'worker' ? limits.workerMessageBurst : limits.messageBurst;
    this.tokens = this.burst;
    connection.onPong(() => {
      this.alive = true;
    });
    connection.onClose(() => {
      if (this.closeListeners) for (const l of this.closeListeners) l.peerClosed(this);
      this.closed = true;
      clearTimeout(this.pollTimer);
      this.dropQueue();
    });
  }

  /**
   * Sends a text frame (or a binary one, for bytes). With a `coalesceKey` (progress of one job), a
   * still-queued older frame with the same key is dropped and this one goes to the back, so order
   * by seq is kept.
   */
  send(data: string | Uint8Array, coalesceKey?: string): void {
    if (this.countOutgoing()) this.write(typeof data === 'string' ? data : [data], coalesceKey);
  }

  /** A binary frame (protocol/binary-frame.ts); its header and payload are not copied into one buffer first. */
  sendFrame(header: FrameHeader, payload: Uint8Array): void {
    if (this.countOutgoing()) this.write([frameHead(header), payload], undefined);
    else giveBack(payload);
  }

  /** Counts one outgoing message; false when the connection is closed and nothing should be sent. */
  private countOutgoing(): boolean {
    if (this.closed) return false;
    this.lastActivity = Date.now();
    this.metrics.messages.countOut(this.endpoint);
    return true;
  }

  private write(data: OutMessage, coalesceKey: string | undefined): void {
    if (this.queue.length === 0 && this.connection.bufferedBytes < HIGH_WATER) {
      this.connection.send(data);
      return;
    }
    if (coalesceKey !== undefined) {
      const index = this.queue.findIndex((q) => q.key === coalesceKey);
      if (index >= 0) {
        const [older] = this.queue.splice(index, 1);
        this.queuedBytes -= older!.bytes;
        dropped(older!.data);
      }
    }
    const bytes = typeof data === 'string' ? Buffer.byteLength(data) : partsLength(data);
    this.queue.push({ data, bytes, key: coalesceKey });
    this.queuedBytes += bytes;
    if (this.queuedBytes + this.connection.bufferedBytes > this.limits.maxOutboundBytes) {
      this.sendNow({ type: 'error', code: 'slow_consumer', message: ERRORS.slow_consumer.text });
      this.close(CLOSE.slowConsumer, 'slow_consumer');
      return;
    }
    this.schedulePump();
  }

  /**
   * Lets what was sent so far leave now instead of at the end of the turn: for a message its
   * receiver is waiting on (a job for its worker, a job's final event), which would otherwise wait
   * for the bookkeeping the same turn goes on to do.
   */
  flush(): void {
    this.connection.flush();
  }

  /** `listener.peerClosed(this)` runs when the socket closes. */
  onClose(listener: PeerCloseListener): void {
    (this.closeListeners ??= []).push(listener);
  }

  sendJson(message: object): void {
    this.send(JSON.stringify(message));
  }

  /** An error reply; the connection stays open. */
  error(code: ErrorCode, message?: string, extra?: Record<string, unknown>): void {
    this.metrics.errors.inc({ code });
    this.metrics.wsErrors.inc({ type: code });
    this.sendJson({ type: 'error', code, message: message ?? ERRORS[code].text, ...extra });
  }

  /** Bypasses the queue (for the last words before a close). */
  private sendNow(message: object): void {
    if (this.closed) return;
    this.connection.send(JSON.stringify(message));
    this.connection.flush();
  }

  private dropQueue(): void {
    for (const q of this.queue) dropped(q.data);
    this.queue = [];
    this.queuedBytes = 0;
  }

  private schedulePump(): void {
    if (this.pollTimer) return;
    // What waits for the end of the turn goes now, ahead of the queue; then the queue is polled
    // rather than woken by the socket's 'drain'. Either the other way measured as twice the media
    // CPU per MiB in A/B runs (docs/benchmarks.md).
    this.connection.flush();
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.pump();
    }, 2);
  }

  private pump(): void {
    while (!this.closed && this.queue.length > 0 && this.connection.bufferedBytes < HIGH_WATER) {
      const next = this.queue.shift()!;
      this.queuedBytes -= next.bytes;
      this.connection.send(next.data);
    }
    if (this.queue.length > 0) this.schedulePump();
  }

  /** Token bucket: `rate` sustained, `burst` at once (clients' limits, or workers' higher ones). */
  allowMessage(): boolean {
    const now = Date.now();
    this.lastActivity = now;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefill) * this.rate) / 1000);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    // Nothing queued can be sent after the close frame; free it now rather than when the peer
    // finally acknowledges (a stalled reader may take ws's whole close timeout to do that).
    clearTimeout(this.pollTimer);
    this.dropQueue();
    this.connection.close(code, reason); // after what was already sent
  }

  /** Drops the connection at once (it stopped answering pings, or the gateway stops). */
  terminate(): void {
    this.connection.terminate();
  }

  /**
   * For bulk senders such as a replay: undefined while under half the outbound limit, else a
   * promise that settles when the buffer is down to a quarter (or the connection closed).
   */
  room(): Promise<void> | undefined {
    if (this.bufferedBytes < this.limits.maxOutboundBytes / 2) return undefined;
    return new Promise((resolve) => {
      const check = () => (this.closed || this.bufferedBytes < this.limits.maxOutboundBytes / 4 ? resolve() : setTimeout(check, 5));
      check();
    });
  }

  get bufferedBytes(): number {
    return this.queuedBytes + this.connection.bufferedBytes;
  }
}
