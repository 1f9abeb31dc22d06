import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { MAX_HEADER_BYTES, parseFrameHeader, type FrameHeader } from '../../protocol/binary-frame.ts';
import { readIntoSharedBuffer, readNextInto } from './shared-read-buffer.ts';

/** bufferutil's native XOR, the one ws masks with: output[offset + i] = source[i] ^ mask[i & 3]; or in place. */
const { mask: xorInto, unmask: xorInPlace } = createRequire(import.meta.url)('bufferutil') as {
  mask(source: Uint8Array, mask: Uint8Array, output: Uint8Array, offset: number, length: number): void;
  unmask(buffer: Uint8Array, mask: Uint8Array): void;
};

/** The rest of a frame's payload at least this large is read by the socket straight into its memory. */
const DIRECT_READ_BYTES = 16 * 1024;

/** Where a large binary frame goes (Attachments, through inbound.ts). */
export interface LargeFrameSink {
  /** Memory for the `size` payload bytes after the frame's header (binary-frame.ts); undefined to skip them (the sink said why). */
  open(header: FrameHeader, size: number): Buffer | undefined;
  /** The payload is all in the memory `open` gave. */
  filled(header: FrameHeader, payload: Buffer): void;
  /** The frame does not start with a header in binary-frame.ts's layout. */
  malformed(): void;
}

/**
 * Where the intake is in the stream: at a frame's header; passing a frame to ws; or in a frame of
 * its own — reading its length and JSON header (prefix), its payload into the sink's memory, or
 * past a payload the sink refused (skip).
 */
type State = 'header' | 'pass' | 'prefix' | 'payload' | 'skip';

/** Four 4-byte views of one small buffer. */
const rotations = () => {
  const all = Buffer.alloc(16);
  return [0, 4, 8, 12].map((at) => all.subarray(at, at + 4));
};

/** 2 bytes, up to 8 of length, 4 of mask. */
const MAX_WS_HEADER = 14;

/**
 * Reads a connection's large binary frames (our file frames, `minBytes` and up) straight off its
 * socket, before ws sees them, unmasking each payload into the memory it will live in — for a
 * partial's file, a region of the live-media ring (LiveBlobs.reserve). Through ws, a megabyte
 * arrives as sixteen socket reads gathered into a new Buffer, is unmasked in place, and is then
 * copied into the ring: three passes over it and a large allocation for the garbage collector,
 * where this makes one pass and none (docs/benchmarks.md).
 *
 * Every other frame — text, control, small or fragmented binary, anything malformed or over
 * `maxPayload` — goes to ws byte for byte and in order, so ws still does the protocol and its
 * errors. Installed in the turn ws takes the socket (before any of its data is read), as ws's one
 * 'data' listener is replaced by this one, which hands ws what is its.
 */
export class LargeFrameIntake {
  private state: State = 'header';
  /**
   * The frame header being read, once one has come split across reads (most never do); its bytes
   * from earlier reads are held back from ws until its frame is known. Allocated when first needed,
   * like the buffers below: every client connection has an intake, most never use them.
   */
  private head: Buffer | undefined;
  private headRead = 0;
  private headSize = 2;
  /** Payload bytes left in a frame passing to ws. */
  private remaining = 0;
  /** Inside a fragmented message: its continuations are ws's. */
  private fragmented = false;
  /** A close frame went by: whatever follows is ws's to ignore. */
  private closing = false;
  /** The read being handled is in memory the next one overwrites. */
  private borrowed = false;
  // The frame being read here:
  /** Its mask rotated by 0..3 bytes, for a read that starts at any payload offset. */
  private masks: Buffer[] | undefined;
  /** Its payload's length, and how much of it is read. */
  private length = 0;
  private payloadRead = 0;
  private prefix: Buffer | undefined;
  private prefixSize = 4;
  private header: FrameHeader | undefined;
  private target: Buffer | undefined;
  private targetStart = 0;
  /** The rest of the payload's memory, when the socket's next read was sent straight into it. */
  private direct: Buffer | undefined;

  constructor(
    /** ws's own 'data' listener, and the socket it is called on. */
    private readonly wsOnData: (this: unknown, chunk: Buffer) => void,
    private readonly socket: unknown,
    private readonly minBytes: number,
    private readonly maxPayload: number,
    private readonly sink: LargeFrameSink,
  ) {}

  /**
   * One read from the socket. `borrowed`: the chunk is memory the next read overwrites (a shared
   * read buffer), so what goes on to ws (which may keep it until a frame is whole) is copied first.
   */
  read(chunk: Buffer, borrowed = false): void {
    this.borrowed = borrowed;
    let at = 0;
    let passFrom = 0; // the bytes of this read from here on are ws's unless taken
    while (at < chunk.length) {
      if (this.state === 'pass') {
        const n = Math.min(this.remaining, chunk.length - at);
        at += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = 'header';
      } else if (this.state === 'header') {
        if (this.headRead === 0) {
          at = this.passSmallFrames(chunk, at);
          if (at === chunk.length) break;
        }
        const frameStart = at;
        const heldBack = this.headRead;
        at = this.readHead(chunk, at);
        if (this.headRead < this.headSize) {
          // The read ended inside a header: hold it back until the frame is known.
          this.pass(chunk, passFrom, frameStart);
          passFrom = chunk.length;
        } else if (this.startFrame()) {
          this.pass(chunk, passFrom, frameStart);
          passFrom = at;
        } else if (heldBack > 0) {
          this.wsOnData.call(this.socket, Buffer.from(this.head!.subarray(0, heldBack)));
        }
      } else {
        at = this.readOurs(chunk, at);
        passFrom = at;
      }
    }
    this.pass(chunk, passFrom, chunk.length);
  }

  /**
   * A read into the shared read buffer, or straight into a frame's memory (`buffer` is then the
   * view this asked for). Returns the memory the socket's next read should go into, if not the
   * shared buffer: the rest of a large payload being read, so the kernel copies it where it will
   * live and it is unmasked there, in cache, with no copy of our own.
   */
  readShared(nread: number, buffer: Buffer): Buffer | undefined {
    if (buffer === this.direct) this.readDirect(nread);
    else this.read(buffer.subarray(0, nread), true);
    const left = this.length - this.payloadRead;
    this.direct = this.state === 'payload' && left >= DIRECT_READ_BYTES ? this.target!.subarray(this.payloadRead - this.targetStart) : undefined;
    return this.direct;
  }

  /** `nread` payload bytes the socket read straight into the frame's memory: unmasked where they lie. */
  private readDirect(nread: number): void {
    const at = this.payloadRead - this.targetStart;
    xorInPlace(this.target!.subarray(at, at + nread), this.masks![this.payloadRead & 3]!);
    this.payloadRead += nread;
    if (this.payloadRead === this.length) this.endFrame();
  }

  private pass(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    const part = from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to);
    this.wsOnData.call(this.socket, this.borrowed ? Buffer.from(part) : part);
  }

  /**
   * Steps over the whole frames below `minBytes` with 7- or 16-bit lengths at `at` — a worker's
   * tokens, hundreds to a read — without copying their headers: they are never ours. Stops at
   * anything else, or a frame that does not end in this read.
   */
  private passSmallFrames(chunk: Buffer, at: number): number {
    while (chunk.length - at >= 2) {
      const first = chunk[at]!;
      const second = chunk[at + 1]!;
      const length7 = second & 0x7f;
      if (length7 === 127) break;
      const headSize = (length7 === 126 ? 4 : 2) + (second & 0x80 ? 4 : 0);
      if (chunk.length - at < headSize) break;
      const length = length7 === 126 ? chunk.readUInt16BE(at + 2) : length7;
      if (length >= this.minBytes || chunk.length - at < headSize + length) break;
      this.noteFrame(first);
      at += headSize + length;
    }
    return at;
  }

  /** Keeps track of fragmented messages and the close, from a passing frame's first byte. */
  private noteFrame(first: number): void {
    const opcode = first & 0x0f;
    if (opcode === 0x8) this.closing = true;
    else if (opcode === 0x1 || opcode === 0x2) this.fragmented = (first & 0x80) === 0;
    else if (opcode === 0x0 && first & 0x80) this.fragmented = false;
  }

  private readHead(chunk: Buffer, at: number): number {
    this.head ??= Buffer.alloc(MAX_WS_HEADER);
    while (this.headRead < this.headSize && at < chunk.length) {
      this.head[this.headRead++] = chunk[at++]!;
      if (this.headRead === 2) {
        const length7 = this.head[1]! & 0x7f;
        this.headSize = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (this.head[1]! & 0x80 ? 4 : 0);
      }
    }
    return at;
  }

  /** A frame's header is in: true when the frame is ours to read, else it is set to pass to ws. */
  private startFrame(): boolean {
    const head = this.head!;
    const fin = (head[0]! & 0x80) !== 0;
    const rsv = head[0]! & 0x70;
    const opcode = head[0]! & 0x0f;
    const masked = (head[1]! & 0x80) !== 0;
    let length = head[1]! & 0x7f;
    let maskAt = 2;
    if (length === 126) {
      length = head.readUInt16BE(2);
      maskAt = 4;
    } else if (length === 127) {
      length = head.readUInt32BE(2) * 2 ** 32 + head.readUInt32BE(6);
      maskAt = 10;
    }
    this.headRead = 0;
    this.headSize = 2;
    const ours = !this.closing && opcode === 0x2 && fin && rsv === 0 && masked && !this.fragmented && length >= this.minBytes && length <= this.maxPayload;
    if (!ours) {
      this.noteFrame(head[0]!);
      this.remaining = length;
      this.state = length > 0 ? 'pass' : 'header';
      return false;
    }
    const masks = (this.masks ??= rotations());
    for (let r = 0; r < 4; r++) for (let i = 0; i < 4; i++) masks[r]![i] = head[maskAt + ((r + i) & 3)]!;
    this.length = length;
    this.payloadRead = 0;
    this.prefixSize = 4;
    this.prefix ??= Buffer.alloc(4 + MAX_HEADER_BYTES);
    this.state = 'prefix';
    return true;
  }

  /** Reads the frame being taken: its prefix, then its payload into the sink's memory (or past it). */
  private readOurs(chunk: Buffer, at: number): number {
    if (this.state === 'prefix') {
      const mask = this.masks![0]!;
      while (this.payloadRead < this.prefixSize && this.payloadRead < this.length && at < chunk.length) {
        this.prefix![this.payloadRead] = chunk[at++]! ^ mask[this.payloadRead & 3]!;
        this.payloadRead += 1;
      }
      if (this.payloadRead === this.prefixSize) this.prefixRead();
    } else {
      const n = Math.min(this.length - this.payloadRead, chunk.length - at);
      if (this.state === 'payload') {
        xorInto(chunk.subarray(at, at + n), this.masks![this.payloadRead & 3]!, this.target!, this.payloadRead - this.targetStart, n);
      }
      this.payloadRead += n;
      at += n;
    }
    if (this.payloadRead === this.length) this.endFrame();
    return at;
  }

  /** The prefix so far is in: its length (then the header is read), or the header (then the payload). */
  private prefixRead(): void {
    const prefix = this.prefix!;
    if (this.prefixSize === 4) {
      const size = prefix.readUInt32BE(0);
      if (size === 0 || size > MAX_HEADER_BYTES || 4 + size > this.length) return this.refuse();
      this.prefixSize = 4 + size;
      return;
    }
    const header = parseFrameHeader(prefix.subarray(4, this.prefixSize));
    if (!header) return this.refuse();
    const target = this.sink.open(header, this.length - this.prefixSize);
    if (!target) {
      this.state = 'skip';
      return;
    }
    this.header = header;
    this.target = target;
    this.targetStart = this.prefixSize;
    this.state = 'payload';
  }

  private refuse(): void {
    this.sink.malformed();
    this.state = 'skip';
  }

  private endFrame(): void {
    if (this.state === 'prefix')
      this.sink.malformed(); // it ended inside its own header
    else if (this.state === 'payload') this.sink.filled(this.header!, this.target!);
    this.header = undefined;
    this.target = undefined;
    this.state = 'header';
  }
}

/**
 * Puts a LargeFrameIntake in front of ws on this connection's socket, reading into the shared read
 * buffer where it can (shared-read-buffer.ts). Call it in the turn ws took the socket. Returns
 * 'shared' or 'own' (the socket still reads into a new Buffer each time), or false, leaving
 * everything to ws, if the socket is not as expected.
 */
export function takeLargeFrames(ws: WebSocket, minBytes: number, maxPayload: number, sink: LargeFrameSink): 'shared' | 'own' | false {
  const socket = (ws as unknown as { _socket: Socket | undefined })._socket;
  const listeners = socket?.listeners('data') ?? [];
  if (!socket || listeners.length !== 1) return false;
  const wsOnData = listeners[0] as (this: unknown, chunk: Buffer) => void;
  (socket as IntakeSocket)[INTAKE] = new LargeFrameIntake(wsOnData, socket, minBytes, maxPayload, sink);
  socket.removeListener('data', wsOnData);
  socket.on('data', intakeOnData); // reads made before the switch below, or all of them without it
  return readIntoSharedBuffer(socket, intakeOnSharedRead) ? 'shared' : 'own';
}

// The intake is kept on its socket (as ws keeps itself), so one listener serves every connection:
// a closure per connection is heap held by every idle client (docs/benchmarks.md, idle connections).
const INTAKE = Symbol('largeFrameIntake');
type IntakeSocket = Socket & { [INTAKE]: LargeFrameIntake };

function intakeOnData(this: IntakeSocket, chunk: Buffer): void {
  this[INTAKE].read(chunk);
}

function intakeOnSharedRead(this: Socket, nread: number, buffer: Buffer): void {
  const next = (this as IntakeSocket)[INTAKE].readShared(nread, buffer);
  if (next) readNextInto(next);
}
