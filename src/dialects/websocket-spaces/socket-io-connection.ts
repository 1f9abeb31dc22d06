import type { Socket } from 'socket.io';
import { isObject } from '../../protocol/hand-checks.ts';
import type { Connection, OutMessage, Receiver } from '../../wire/connection.ts';
import { dropped } from '../../wire/out-message.ts';

/**
 * One Socket.IO client as a `Connection`, so the WebSocket Spaces dialect serves it unchanged. A
 * remote app may send the document's messages as events named by their `type`
 * (`emit('register', {...})`) or as `message` events (`send({type: 'register', ...})`); each is
 * handed on as the same JSON text the plain WebSocket carries, and the replies go back in the style
 * the app used first. Socket.IO keeps its own heartbeat (a pong is its `heartbeat`) and its own
 * buffering, so there is nothing to pause and nothing counted as buffered here.
 */
export class SocketIoConnection implements Connection {
  /** The app's first message came as a named event: reply with named events (else as `message`). */
  private named: boolean | undefined;
  private closed = false;

  constructor(private readonly socket: Socket) {}

  send(message: OutMessage): void {
    if (typeof message !== 'string' || this.closed) return dropped(message); // the dialect sends no files
    const value = JSON.parse(message) as { type?: unknown };
    if (this.named && typeof value.type === 'string') this.socket.emit(value.type, value);
    else this.socket.send(value);
  }

  flush(): void {}

  readonly bufferedBytes = 0;
  readonly paused = false;

  receive(receiver: Receiver): void {
    this.socket.onAny((event: string, data: unknown) => {
      const named = event !== 'message';
      this.named ??= named;
      const body = typeof data === 'string' && !named ? data : JSON.stringify(named ? { ...(isObject(data) ? data : {}), type: event } : (data ?? null));
      receiver.text(body);
    });
  }

  pause(): void {}
  resume(): void {}

  /** Socket.IO pings on its own schedule; its pongs are reported as they come (`onPong`). */
  ping(): void {}

  onPong(listener: () => void): void {
    this.socket.conn.on('heartbeat', listener);
  }

  onClose(listener: (code: number) => void): void {
    this.socket.on('disconnect', (reason) => {
      this.closed = true;
      listener(reason === 'server namespace disconnect' || reason === 'client namespace disconnect' ? 1000 : 1006);
    });
  }

  close(_code: number, _reason: string): void {
    this.socket.disconnect(true);
  }

  terminate(): void {
    this.socket.disconnect(true);
  }
}
