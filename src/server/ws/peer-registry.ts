import { CLOSE } from '../../protocol/close-codes.ts';
import type { Peer, PeerCloseListener } from './peer.ts';

/**
 * Every open connection of this gateway, with one timer for all of them (not one per socket):
 * each tick pings, drops peers that missed the previous pong, and closes idle ones.
 */
export class PeerRegistry implements PeerCloseListener {
  private readonly peers = new Set<Peer>();
  private readonly timer: NodeJS.Timeout;
  /** Every endpoint that has had a connection, for countsByEndpoint. */
  private readonly seen = new Map<string, number>([
    ['client', 0],
    ['worker', 0],
  ]);

  constructor(
    pingIntervalMs: number,
    private readonly idleTimeoutMs: number,
    /** Told of every peer that closed (one listener for all of them, not one per socket). */
    private readonly onClosed?: (peer: Peer) => void,
  ) {
    this.timer = setInterval(() => this.tick(), pingIntervalMs);
    this.timer.unref();
  }

  add(peer: Peer): void {
    this.peers.add(peer);
    peer.onClose(this);
  }

  peerClosed(peer: Peer): void {
    this.peers.delete(peer);
    this.onClosed?.(peer);
  }

  get size(): number {
    return this.peers.size;
  }

  count(endpoint: string): number {
    let n = 0;
    for (const p of this.peers) if (p.endpoint === endpoint) n++;
    return n;
  }

  /** Open connections per endpoint, every endpoint that has had one (so a gauge drops back to 0). */
  countsByEndpoint(): Map<string, number> {
    for (const key of this.seen.keys()) this.seen.set(key, 0);
    for (const p of this.peers) this.seen.set(p.endpoint, (this.seen.get(p.endpoint) ?? 0) + 1);
    return this.seen;
  }

  all(): Iterable<Peer> {
    return this.peers;
  }

  private tick(): void {
    const now = Date.now();
    for (const peer of this.peers) {
      // A connection not read while its messages outrun their handling cannot show its pongs (they
      // wait behind those messages); it was heard from just now, so it is judged once read again.
      // (Any message read counts as a pong too: Inbound marks its peer alive.)
      if (peer.connection.paused) {
        peer.alive = true;
        continue;
      }
      if (!peer.alive) {
        peer.terminate();
        continue;
      }
      if (this.idleTimeoutMs > 0 && now - peer.lastActivity > this.idleTimeoutMs) {
        peer.close(CLOSE.idle, 'idle');
        continue;
      }
      peer.alive = false;
      peer.connection.ping();
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
