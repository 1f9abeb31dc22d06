import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { FrameHeader } from '../../protocol/binary-frame.ts';
import { isLent } from '../../protocol/lent-bytes.ts';
import type { FrameReceiver, OutMessage, Receiver, Wire } from '../connection.ts';
import { WsConnection } from '../ws-connection.ts';
import { type LargeFrameSink, takeLargeFrames } from './large-frame-intake.ts';
import { Outbox } from './outbox.ts';
import type { YoungCollector } from './young-collector.ts';

/** Binary frames from this size up are read by the large-frame intake; smaller ones mostly fit in one socket read, where ws copies nothing. */
const LARGE_FRAME_BYTES = 64 * 1024;

/**
 * The connection with the tricks of this folder (README.md): frames written by the turn's outbox
 * straight to the socket, large file frames read straight into the memory they will live in
 * (through the shared read buffer where Node allows it), and young collections asked for as
 * binary data arrives. `ws` still does the handshake, reads every other frame, answers pings and
 * closes.
 */
export function fastWire(young: YoungCollector): Wire {
  return (ws) => new FastConnection(ws, young);
}

// The connection is kept on its socket (as ws keeps itself on its TCP socket), so one listener
// serves every connection: a closure per connection is heap held by every idle client.
const CONNECTION = Symbol('connection');
type Tagged = WebSocket & { [CONNECTION]: FastConnection };

function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  (this as Tagged)[CONNECTION].received(data, isBinary);
}

class FastConnection extends WsConnection {
  private readonly outbox: Outbox;
  private receiver: Receiver | undefined;

  constructor(
    ws: WebSocket,
    private readonly young: YoungCollector,
  ) {
    super(ws);
    // ws keeps the TCP socket as `_socket`; frames are written to it directly (outbox.ts says why).
    this.outbox = new Outbox((ws as unknown as { _socket: Socket })._socket, ws);
  }

  send(message: OutMessage): void {
    this.outbox.add(message);
  }

  flush(): void {
    this.outbox.drain();
  }

  get bufferedBytes(): number {
    return this.outbox.bufferedBytes;
  }

  receive(receiver: Receiver): void {
    this.receiver = receiver;
    (this.ws as Tagged)[CONNECTION] = this;
    this.ws.on('message', onMessage);
    if (receiver.frames) {
      const sink = new YoungFrames(receiver.frames, this.young);
      sink.readsShared = takeLargeFrames(this.ws, LARGE_FRAME_BYTES, receiver.frames.maxPayload, sink) === 'shared';
    }
  }

  received(data: Buffer, isBinary: boolean): void {
    if (!isBinary) return this.receiver!.text(data.toString('utf8'));
    this.young.received(data.length);
    this.receiver!.binary(data);
  }
}

/**
 * The receiver's large frames, with the young collector told of the ones read into new memory. A
 * class, not closures: every connection that takes files has one, most never use it.
 */
class YoungFrames implements LargeFrameSink {
  /** The socket reads into the shared read buffer: a frame read into lent memory (the live-media ring) allocated nothing. */
  readsShared = false;

  constructor(
    private readonly frames: FrameReceiver,
    private readonly young: YoungCollector,
  ) {}

  open(header: FrameHeader, size: number): Buffer | undefined {
    const memory = this.frames.open(header, size);
    if (memory && !(this.readsShared && isLent(memory))) this.young.received(size);
    return memory;
  }

  filled(header: FrameHeader, payload: Buffer): void {
    this.frames.filled(header, payload);
  }

  malformed(): void {
    this.frames.malformed();
  }
}
