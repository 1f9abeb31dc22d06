import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/server/config.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { Peer } from '../../src/server/ws/peer.ts';
import type { Connection, OutMessage, Receiver } from '../../src/wire/connection.ts';
import { until } from '../helpers/latch.ts';

/**
 * A connection standing in for a reader at the other end (the wire seam makes the server's edge
 * rules testable without a socket): it records what it was given and says how much is still
 * unwritten, which the test sets to play a slow reader.
 */
class ReaderStandIn implements Connection {
  readonly sent: string[] = [];
  closedWith: number | undefined;
  bufferedBytes = 0;
  paused = false;
  private closeListeners: Array<(code: number) => void> = [];
  send(message: OutMessage): void {
    this.sent.push(typeof message === 'string' ? message : `<${message.length} parts>`);
  }
  flush(): void {}
  receive(_receiver: Receiver): void {}
  pause(): void {}
  resume(): void {}
  ping(): void {}
  onPong(): void {}
  onClose(listener: (code: number) => void): void {
    this.closeListeners.push(listener);
  }
  close(code: number): void {
    this.closedWith = code;
    for (const l of this.closeListeners) l(code);
  }
  terminate(): void {
    this.close(1006);
  }
}

const peerOn = (connection: Connection, maxOutboundBytes = 1024 * 1024) => new Peer(connection, 'client', 'client', { ...DEFAULT_LIMITS, maxOutboundBytes }, createMetrics());

describe('Peer: the outbound queue of one connection', () => {
  it('writes straight through while the reader keeps up', () => {
    const reader = new ReaderStandIn();
    const peer = peerOn(reader);
    for (const m of ['a', 'b', 'c']) peer.send(m);
    expect(reader.sent).toEqual(['a', 'b', 'c']);
  });

  it('for a slow reader, keeps only the newest of a job’s waiting progress, behind what came before it, and sends the rest in order', async () => {
    const reader = new ReaderStandIn();
    const peer = peerOn(reader);
    reader.bufferedBytes = 300 * 1024; // over the high-water mark: messages wait in the queue
    peer.send('token 1');
    peer.send('progress A 10%', 'progress:A');
    peer.send('progress B 50%', 'progress:B');
    peer.send('token 2');
    peer.send('progress A 20%', 'progress:A');
    peer.send('progress A 30%', 'progress:A');
    expect(reader.sent).toEqual([]);
    reader.bufferedBytes = 0; // the reader caught up
    await until('the queue drained', () => reader.sent.length === 4);
    expect(reader.sent).toEqual(['token 1', 'progress B 50%', 'token 2', 'progress A 30%']);
  });

  it('closes a reader that falls past its outbound budget with slow_consumer (4008), after telling it so', async () => {
    const reader = new ReaderStandIn();
    const peer = peerOn(reader, 64 * 1024);
    reader.bufferedBytes = 300 * 1024;
    for (let i = 0; i < 100 && !peer.closed; i++) peer.send('x'.repeat(1024));
    expect(reader.closedWith).toBe(4008);
    expect(JSON.parse(reader.sent.at(-1)!)).toMatchObject({ type: 'error', code: 'slow_consumer' });
    peer.send('after the close');
    expect(reader.sent.at(-1)).not.toBe('after the close');
  });
});
