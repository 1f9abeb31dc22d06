import { WebSocket, type ClientOptions } from 'ws';
import { until } from './latch.ts';

export type Msg = Record<string, any>;

/**
 * A raw WebSocket peer for tests: records every JSON message it receives (and binary frames), and
 * waits for the ones a test expects. Deliberately not the SDK, so the tests check the wire itself.
 */
export class WsPeer {
  readonly messages: Msg[] = [];
  readonly binary: Buffer[] = [];
  /** Both, in the order they arrived. */
  readonly received: Array<Msg | Buffer> = [];
  closed: { code: number; reason: string } | null = null;
  private cursor = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      const item = isBinary ? data : JSON.parse(data.toString('utf8'));
      (isBinary ? this.binary : this.messages).push(item);
      this.received.push(item);
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
    ws.on('error', () => {});
  }

  static async open(url: string, headers: Record<string, string> = {}, options: ClientOptions = {}): Promise<WsPeer> {
    const ws = new WebSocket(url, { ...options, headers });
    const peer = new WsPeer(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    return peer;
  }

  send(message: Msg | string): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  sendBinary(frame: Uint8Array): void {
    this.ws.send(frame, { binary: true });
  }

  /**
   * A barrier: pings the server and waits for its pong, which it sends after everything it had
   * already written to this socket — so whatever the server sent before it received the ping has
   * arrived when this resolves. For "nothing was sent" checks, instead of a sleep.
   */
  settled(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no pong')), timeoutMs);
      this.ws.once('pong', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.ping();
    });
  }

  /** The first message (from the start) matching, waiting for it if needed. */
  wait(what: string, match: (m: Msg) => boolean, timeoutMs?: number): Promise<Msg> {
    return until(what, () => this.messages.find(match), timeoutMs);
  }

  /** The next message after the previous `next` call that matches (skipping others). */
  async next(what: string, match: (m: Msg) => boolean = () => true, timeoutMs?: number): Promise<Msg> {
    return until(
      what,
      () => {
        for (let i = this.cursor; i < this.messages.length; i++) {
          if (match(this.messages[i]!)) {
            this.cursor = i + 1;
            return this.messages[i];
          }
        }
        return undefined;
      },
      timeoutMs,
    );
  }

  of(type: string, job?: string): Msg[] {
    return this.messages.filter((m) => m.type === type && (job === undefined || m.job === job));
  }

  waitClosed(timeoutMs?: number) {
    return until('close', () => this.closed, timeoutMs);
  }

  close(): void {
    this.ws.close();
  }
}
