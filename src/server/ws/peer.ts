import type { WebSocket } from 'ws';
import { encodeFrame, frameHead, type FrameHeader } from '../../protocol/binary-frame.ts';
import { CLOSE } from '../../protocol/close-codes.ts';
import { ERRORS, type ErrorCode } from '../../protocol/errors.ts';
import type { Limits } from '../config.ts';
import type { Metrics } from '../metrics.ts';

/** Below this many bytes in ws's own buffer we write straight through; above it we queue (and may coalesce). */
const HIGH_WATER = 256 * 1024;

/** A part of a connection (or the registry of them) that has something to drop when it closes. */
export interface PeerCloseListener {
  peerClosed(peer: Peer): void;
}

/** Payloads above this go out as a fragment after their frame head instead of being copied into one buffer. */
const FRAGMENT_ABOVE = 64 * 1024;

interface Queued {
  data: string | Uint8Array;
  bytes: number;
  key: string | undefined;
  /** false for the first fragment of a binary frame sent in two (see sendFrame). */
  fin: boolean;
}

/**
 * One WebSocket connection with the edge rules every endpoint shares: a bounded outbound queue
 * (a consumer that falls past `maxOutboundBytes` is closed with 4008 and resumes by seq), a message
 * rate limit, idle and liveness tracking, and metrics. Sending never throws.
 */
export class Peer {
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private tokens: number;
  private corked = false;
  private readonly rate: number;
  private readonly burst: number;
  private lastRefill = Date.now();
  lastActivity = Date.now();
  alive = true;
  closed = false;
  /** A message's first fragment is on the socket and its last is not yet (see sendFrame). */
  private midMessage = false;
  /** Told when the socket closes (one listener here rather than one per part of the connection). */
  private closeListeners: PeerCloseListener[] | undefined;

  constructor(
    readonly ws: WebSocket,
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
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('close', () => {
      if (this.closeListeners) for (const l of this.closeListeners) l.peerClosed(this);
      this.closed = true;
      clearTimeout(this.pollTimer);
      this.queue = [];
      this.queuedBytes = 0;
    });
  }

  /**
   * Sends a text frame. With a `coalesceKey` (progress of one job), a still-queued older frame with
   * the same key is dropped and this one goes to the back, so order by seq is kept.
   */
  send(data: string | Uint8Array, coalesceKey?: string): void {
    if (this.countOutgoing()) this.write(data, coalesceKey, true);
  }

  /**
   * A binary frame (protocol/binary-frame.ts). A large payload is not copied behind its header:
   * the two leave as one WebSocket message in two fragments, which every receiver joins.
   */
  sendFrame(header: FrameHeader, payload: Uint8Array): void {
    if (payload.length <= FRAGMENT_ABOVE) return this.send(encodeFrame(header, payload));
    if (!this.countOutgoing()) return;
    // Queued or written back to back: nothing can come between the two fragments.
    this.write(frameHead(header), undefined, false);
    this.write(payload, undefined, true);
  }

  /** Counts one outgoing message; false when the connection is closed and nothing should be sent. */
  private countOutgoing(): boolean {
    if (this.closed) return false;
    this.lastActivity = Date.now();
    this.metrics.messages.countOut(this.endpoint);
    return true;
  }

  private write(data: string | Uint8Array, coalesceKey: string | undefined, fin: boolean): void {
    // The rest of a message whose first fragment is on the socket goes right behind it, whatever
    // the buffer: anything else sent in between (the slow_consumer error) would be taken by the
    // receiver as its continuation.
    if (this.midMessage || (this.queue.length === 0 && this.ws.bufferedAmount < HIGH_WATER)) {
      this.cork();
      this.sendToSocket(data, fin);
      return;
    }
    if (coalesceKey !== undefined) {
      const index = this.queue.findIndex((q) => q.key === coalesceKey);
      if (index >= 0) this.queuedBytes -= this.queue.splice(index, 1)[0]!.bytes;
    }
    const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    this.queue.push({ data, bytes, key: coalesceKey, fin });
    this.queuedBytes += bytes;
    if (this.queuedBytes + this.ws.bufferedAmount > this.limits.maxOutboundBytes) {
      this.sendNow({ type: 'error', code: 'slow_consumer', message: ERRORS.slow_consumer.text });
      this.close(CLOSE.slowConsumer, 'slow_consumer');
      return;
    }
    this.schedulePump();
  }

  /**
   * Holds the socket's writes until the current burst of work is done, so the frames produced by
   * one batch of incoming messages (a worker's tokens arrive many per TCP read) leave in one
   * writev instead of one system call each — measured as the largest cost of the token relay.
   */
  private cork(): void {
    if (this.corked) return;
    const socket = this.socket;
    if (!socket) return;
    this.corked = true;
    socket.cork();
    process.nextTick(() => {
      if (!this.corked) return; // flushed already
      this.corked = false;
      socket.uncork();
    });
  }

  /**
   * Lets what was written so far leave now instead of at the end of the burst: for a message its
   * receiver is waiting on (a job for its worker, a job's final event), which would otherwise wait
   * for the bookkeeping the same burst goes on to do.
   */
  flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket?.uncork();
  }

  /** The TCP socket under the WebSocket (ws keeps it as `_socket`), for corking. */
  private get socket(): { cork(): void; uncork(): void } | undefined {
    return (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
  }

  private sendToSocket(data: string | Uint8Array, fin: boolean): void {
    if (fin && typeof data === 'string') this.ws.send(data);
    else this.ws.send(data, { binary: true, fin });
    this.midMessage = !fin;
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
    if (!this.closed) this.ws.send(JSON.stringify(message));
  }

  private schedulePump(): void {
    if (this.pollTimer) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.pump();
    }, 2);
  }

  private pump(): void {
    while (!this.closed && this.queue.length > 0 && (this.midMessage || this.ws.bufferedAmount < HIGH_WATER)) {
      const next = this.queue.shift()!;
      this.queuedBytes -= next.bytes;
      this.sendToSocket(next.data, next.fin);
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
    this.queue = [];
    this.queuedBytes = 0;
    this.ws.close(code, reason);
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
    return this.queuedBytes + this.ws.bufferedAmount;
  }
}
