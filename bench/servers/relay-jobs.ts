import type { WebSocket } from 'ws';
import { decodeFrame } from '../../src/protocol/binary-frame.ts';

/**
 * What the baseline relays keep on their clients' side: which client submitted each job, the
 * numbering of its events, and the subscribers to every job's events. A worker's JSON message is
 * parsed and re-serialised with its `seq`, as any real relay must; a binary frame (a media
 * result) goes on as it is, after reading its header for the job.
 */
export class RelayJobs {
  private readonly clientOf = new Map<number, WebSocket>();
  private readonly seqOf = new Map<number, number>();
  private readonly subscribers = new Set<WebSocket>();
  private nextJob = 1;

  /** A client's submit: the job's number, once the client is told it was accepted. */
  accept(client: WebSocket, id: unknown): number {
    const job = this.nextJob++;
    this.clientOf.set(job, client);
    client.send(JSON.stringify({ type: 'accepted', id, job }));
    return job;
  }

  /** A connection that receives every job's events. */
  subscribe(ws: WebSocket): void {
    this.subscribers.add(ws);
    ws.on('close', () => this.subscribers.delete(ws));
    ws.send('{"type":"subscribed"}');
  }

  /** A worker's message, to its job's client (and, a JSON one, to every subscriber). */
  forward(data: Buffer, binary: boolean): void {
    if (binary) {
      this.clientOf.get(Number(decodeFrame(data)?.header.ref))?.send(data, { binary: true });
      return;
    }
    const msg = JSON.parse(data.toString());
    const client = this.clientOf.get(msg.job);
    if (!client) return;
    const seq = (this.seqOf.get(msg.job) ?? 0) + 1;
    this.seqOf.set(msg.job, seq);
    const line = JSON.stringify({ ...msg, seq });
    client.send(line);
    for (const sub of this.subscribers) sub.send(line);
    if (msg.type === 'result') {
      this.clientOf.delete(msg.job);
      this.seqOf.delete(msg.job);
    }
  }
}
