/**
 * The frames a connection sends during one turn of the event loop, framed here and written to its
 * socket as one buffer once the turn's I/O callbacks have run (setImmediate), when 32 KiB wait, or
 * at `drain` — one write(2) and one allocation for a burst of a worker's tokens, and for a job's
 * `accepted`, `started` and `result` when they come in one turn; `ws.send` makes two stream
 * writes per message (header and payload), each a buffered entry the socket gathers into a writev.
 *
 * Server frames are never masked (RFC 6455 §5.1) and the gateway never compresses
 * (perMessageDeflate is off), so a frame is a 2-, 4- or 10-byte header and the payload. `ws` still
 * owns the connection: it reads, answers pings and closes; those writes go straight to the socket,
 * which only ever puts them between whole messages, as the protocol allows for control frames.
 */

import { giveBack, isLent } from '../../protocol/lent-bytes.ts';
import { dropped, type OutMessage, partsLength } from '../out-message.ts';

interface FrameSocket {
  readonly writableLength: number;
  write(chunk: Uint8Array, done?: () => void): boolean;
  cork(): void;
  uncork(): void;
}

/** Binary parts above this are written after their frame as they are, not copied into the burst's buffer. */
const COPY_AT_MOST = 64 * 1024;
/**
 * A burst this large is written at once rather than at its end: a poll phase can read a great deal
 * from a fast worker, and holding it all would only add latency and memory (and push the connection
 * over its high-water mark into the slow path).
 */
const WRITE_AT = 32 * 1024;
const FIN_TEXT = 0x81;
const FIN_BINARY = 0x82;

const headerSize = (length: number) => (length < 126 ? 2 : length < 65536 ? 4 : 10);

function writeHeader(to: Buffer, at: number, first: number, length: number): number {
  to[at] = first;
  if (length < 126) {
    to[at + 1] = length;
    return at + 2;
  }
  if (length < 65536) {
    to[at + 1] = 126;
    to.writeUInt16BE(length, at + 2);
    return at + 4;
  }
  to[at + 1] = 127;
  to.writeUInt32BE(Math.floor(length / 2 ** 32), at + 2);
  to.writeUInt32BE(length >>> 0, at + 6);
  return at + 10;
}

/** Each message's payload length, measured while sizing a drain's buffer (drains never overlap: one list for all). */
const lengths: number[] = [];

export class Outbox {
  private readonly messages: OutMessage[] = [];
  /** Payload bytes waiting (text counted in UTF-16 units: an estimate, for back-pressure only). */
  pendingBytes = 0;
  private scheduled = false;

  /** Frames are written only while `connection` is open (not once the close handshake began). */
  constructor(
    private readonly socket: FrameSocket,
    private readonly connection: { readonly readyState: number; readonly OPEN: number },
  ) {}

  /** Queues a message for the end of the turn (or writes what waits now, once it is large). */
  add(message: OutMessage): void {
    this.messages.push(message);
    this.pendingBytes += typeof message === 'string' ? message.length : partsLength(message);
    if (this.pendingBytes >= WRITE_AT) return this.drain();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(drainLater, this);
    }
  }

  /** Bytes accepted but not yet on the wire: waiting here, and in the socket's own buffer. */
  get bufferedBytes(): number {
    return this.pendingBytes + this.socket.writableLength;
  }

  /** Writes what is waiting now. */
  drain(): void {
    this.scheduled = false; // a tick already scheduled finds nothing, or what came after this
    const messages = this.messages;
    if (messages.length === 0) return;
    this.pendingBytes = 0;
    if (this.connection.readyState === this.connection.OPEN) this.write(messages);
    else for (const m of messages) dropped(m);
    messages.length = 0;
  }

  private write(messages: OutMessage[]): void {
    // One pass for the sizes (text's UTF-8 length is only known by measuring it), one to write.
    lengths.length = messages.length;
    let size = 0;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const length = (lengths[i] = typeof m === 'string' ? Buffer.byteLength(m) : partsLength(m));
      size += headerSize(length);
      if (typeof m === 'string') size += length;
      else for (const p of m) if (p.length <= COPY_AT_MOST) size += p.length;
    }
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    let from = 0; // start of the part of `out` not yet handed to the socket
    let corked = false;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (typeof m === 'string') {
        at = writeHeader(out, at, FIN_TEXT, lengths[i]!);
        at += out.write(m, at);
        continue;
      }
      at = writeHeader(out, at, FIN_BINARY, lengths[i]!);
      for (const p of m) {
        if (p.length <= COPY_AT_MOST) {
          out.set(p, at);
          at += p.length;
          giveBack(p);
          continue;
        }
        if (!corked) {
          corked = true;
          this.socket.cork();
        }
        if (at > from) this.socket.write(out.subarray(from, at));
        // Borrowed memory (a live-media ring region) goes back once the socket is done with it,
        // written or failed; Node calls every write's callback, even when the socket is destroyed.
        this.socket.write(p, isLent(p) ? () => giveBack(p) : undefined);
        from = at;
      }
    }
    if (at > from) this.socket.write(from === 0 ? out : out.subarray(from, at));
    if (corked) this.socket.uncork();
  }
}

const drainLater = (outbox: Outbox) => outbox.drain();
