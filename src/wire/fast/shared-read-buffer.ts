import { Socket } from 'node:net';

/**
 * Node reads each socket into a new 64 KiB Buffer per read unless it is given memory to read into
 * (`onread: { buffer, callback }`), an option it takes only when a socket is made — never for the
 * sockets a server accepts. This switches an accepted socket over, setting the same fields the
 * option sets (found on a probe socket made with it) and telling its handle, so a worker
 * streaming megabytes allocates nothing per read: no garbage for V8 to count against its limits
 * and collect (docs/operations.md, "A gateway that relays a lot of media").
 *
 * Every switched socket reads into one shared buffer: Node hands a read to its callback as soon as
 * it is made, and what the callback does not copy out before returning is overwritten by the next
 * read of any socket. Where the fields are not found (another Node), or for TLS, nothing changes.
 */
interface OnreadFields {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

const READ_BYTES = 64 * 1024;

let fields: OnreadFields | null | undefined;
let shared: Buffer | undefined;

function findFields(): OnreadFields | null {
  const buffer = Buffer.alloc(1);
  const callback = () => {};
  // `onread` is documented for net.connect and accepted by the constructor; the typings leave it out there.
  const probe = new Socket({ onread: { buffer, callback } } as ConstructorParameters<typeof Socket>[0]) as unknown as Record<symbol, unknown>;
  const symbols = Object.getOwnPropertySymbols(probe);
  const found = {
    buffer: symbols.find((s) => probe[s] === buffer),
    callback: symbols.find((s) => probe[s] === callback),
    generator: symbols.find((s) => s.description === 'kBufferGen' && probe[s] === null),
  };
  (probe as unknown as Socket).destroy();
  return found.buffer && found.callback && found.generator ? (found as OnreadFields) : null;
}

/** Set by a read's callback (readNextInto), taken by Node right after it for that socket's next read. */
let next: Buffer | undefined;

/**
 * Called from a switched socket's read callback: its next read goes into `buffer` instead of the
 * shared one (the rest of a large frame, straight where it will live). Only for that one read.
 */
export function readNextInto(buffer: Buffer): void {
  next = buffer;
}

/** Node asks for the buffer of a socket's next read right after the callback of its last one. */
function nextRead(): Buffer {
  const buffer = next ?? shared!;
  next = undefined;
  return buffer;
}

/**
 * From the next read on, `socket`'s data goes to `onRead` (called on the socket, with the buffer it
 * was read into: a view of the shared one, valid until it returns, or what readNextInto gave)
 * instead of its 'data' event. False, and nothing changed, where that cannot be done safely:
 * unknown fields, TLS, or data already waiting in the stream.
 */
export function readIntoSharedBuffer(socket: Socket, onRead: (this: Socket, nread: number, buffer: Buffer) => void): boolean {
  fields ??= findFields();
  const handle = (socket as unknown as { _handle: { useUserBuffer?(buffer: Uint8Array): void } | null })._handle;
  if (!fields || typeof handle?.useUserBuffer !== 'function' || 'encrypted' in socket || socket.readableLength > 0 || socket.destroyed) return false;
  shared ??= Buffer.allocUnsafe(READ_BYTES);
  const target = socket as unknown as Record<symbol, unknown>;
  target[fields.buffer] = shared;
  target[fields.callback] = onRead;
  target[fields.generator] = nextRead;
  handle.useUserBuffer(shared);
  return true;
}
