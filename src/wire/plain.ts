import { giveBack, isLent } from '../protocol/lent-bytes.ts';
import type { Receiver, Wire } from './connection.ts';
import { dropped, type OutMessage } from './out-message.ts';
import { WsConnection } from './ws-connection.ts';

/**
 * The connection on `ws`'s public API and nothing else: every message is `ws.send`, every read is
 * ws's 'message' event. Slower than the fast wire (fast/README.md says by how much and why) and
 * the reference it is checked against: the endpoint tests run on both (`--wire plain`).
 */
export const plainWire: Wire = (ws) => new PlainConnection(ws);

class PlainConnection extends WsConnection {
  send(message: OutMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return dropped(message);
    if (typeof message === 'string') return this.ws.send(message);
    // One frame of all the parts; a single part goes as it is, and lent memory goes back once written.
    if (message.length === 1) {
      const part = message[0]!;
      return this.ws.send(part, isLent(part) ? () => giveBack(part) : undefined);
    }
    const whole = Buffer.concat(message);
    dropped(message);
    this.ws.send(whole);
  }

  flush(): void {}

  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  receive(receiver: Receiver): void {
    this.ws.on('message', (data: Buffer, isBinary: boolean) => (isBinary ? receiver.binary(data) : receiver.text(data.toString('utf8'))));
  }
}
