import type { WebSocket } from 'ws';
import type { Connection, Receiver } from './connection.ts';
import type { OutMessage } from './out-message.ts';

/** What both wires leave to `ws` as it is: reading control, pings, the close handshake. */
export abstract class WsConnection implements Connection {
  constructor(protected readonly ws: WebSocket) {}

  abstract send(message: OutMessage): void;
  abstract flush(): void;
  abstract readonly bufferedBytes: number;
  abstract receive(receiver: Receiver): void;

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  get paused(): boolean {
    return this.ws.isPaused;
  }

  ping(): void {
    this.ws.ping();
  }

  onPong(listener: () => void): void {
    this.ws.on('pong', listener);
  }

  onClose(listener: (code: number) => void): void {
    this.ws.on('close', listener);
  }

  close(code: number, reason: string): void {
    this.flush(); // what was already sent goes before the close frame
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }
}
