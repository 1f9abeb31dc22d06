import type { FrameHeader } from '../protocol/binary-frame.ts';
import type { OutMessage } from './out-message.ts';

export type { OutMessage } from './out-message.ts';

/**
 * Where a connection's large binary frames go when the wire can read them straight into memory
 * the receiver gives (the fast wire does; the plain one hands every binary message to `binary`).
 */
export interface FrameReceiver {
  /** The largest message the endpoint takes. */
  readonly maxPayload: number;
  /** Memory for the `size` payload bytes after a file frame's header (binary-frame.ts); undefined to skip them. */
  open(header: FrameHeader, size: number): Buffer | undefined;
  /** The payload is all in the memory `open` gave. */
  filled(header: FrameHeader, payload: Buffer): void;
  /** The frame does not start with a header in binary-frame.ts's layout. */
  malformed(): void;
}

/** What a connection hands up: each message as it arrives, in order. */
export interface Receiver {
  text(text: string): void;
  binary(bytes: Buffer): void;
  /** Optional: large file frames read into memory the receiver gives, where the wire can. */
  readonly frames?: FrameReceiver | undefined;
}

/**
 * One WebSocket connection as bytes ↔ messages: the seam between the server (what a message
 * means) and how it is read and written. Two implementations: the plain one on `ws`'s public API
 * (plain.ts) and the fast one (fast/, whose README says what each trick buys). Sending never throws;
 * what is sent after the connection closed is dropped (and lent memory in it given back).
 */
export interface Connection {
  /** Queues a message; it is on its way by the end of the turn at the latest. */
  send(message: OutMessage): void;
  /** Lets what was sent so far leave now (a message its receiver is waiting on). */
  flush(): void;
  /** Bytes accepted and not yet written to the network. */
  readonly bufferedBytes: number;
  /** Starts handing messages to `receiver`; called once, in the turn the connection was accepted. */
  receive(receiver: Receiver): void;
  /** Stops reading (TCP then pushes back on the sender) until `resume`. */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  ping(): void;
  onPong(listener: () => void): void;
  /** Once, when the connection is closed (by either side), with the close code. */
  onClose(listener: (code: number) => void): void;
  /** The closing handshake, after what was already sent. */
  close(code: number, reason: string): void;
  /** Drops the connection at once. */
  terminate(): void;
}

/** Makes the Connection for a socket a WebSocket server accepted. */
export type Wire = (socket: import('ws').WebSocket) => Connection;
