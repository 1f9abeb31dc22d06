import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/server/config.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { Peer } from '../../src/server/ws/peer.ts';

/**
 * Stands in for a ws socket only where a real one cannot be steered: how full its buffer is at the
 * instant between a frame's two fragments. It records what is sent, and each send fills the buffer.
 */
class RecordingSocket extends EventEmitter {
  bufferedAmount = 0;
  readonly sent: Array<{ kind: 'text' | 'binary'; fin: boolean; bytes: number }> = [];
  send(data: string | Uint8Array, opts?: { binary?: boolean; fin?: boolean }): void {
    const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    this.sent.push({ kind: typeof data === 'string' && !opts?.binary ? 'text' : 'binary', fin: opts?.fin ?? true, bytes });
    this.bufferedAmount += bytes;
  }
  close(): void {}
}

describe('a binary frame sent in two fragments', () => {
  it('keeps its fragments together when the buffer fills between them, so nothing is sent in between', () => {
    const socket = new RecordingSocket();
    const peer = new Peer(socket as unknown as WebSocket, 'client', 'client', { ...DEFAULT_LIMITS, maxOutboundBytes: 1024 * 1024 }, createMetrics());
    // Just under the point where writes start to queue: the small first fragment still goes straight out.
    socket.bufferedAmount = 256 * 1024 - 1;
    peer.sendFrame({ ref: 'job_1', index: 0 }, Buffer.alloc(200 * 1024, 1));
    // Far past the outbound limit: the peer answers slow_consumer and closes.
    peer.send('x'.repeat(2 * 1024 * 1024));
    const kinds = socket.sent.map((s) => `${s.kind}${s.fin ? '' : '…'}`);
    expect(kinds[0]).toBe('binary…');
    expect(kinds[1]).toBe('binary');
    expect(socket.sent[1]!.bytes).toBe(200 * 1024);
    // The error went after the whole frame, not inside it.
    expect(kinds.slice(2)).toEqual(['text']);
  });
});
