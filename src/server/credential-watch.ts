import { CLOSE } from '../protocol/close-codes.ts';
import type { GatewayCore } from '../core/gateway-core.ts';

/** A connection that can be closed: a WebSocket, or (with a small adapter) an event stream. */
export interface Closable {
  close(code: number, reason: string): void;
}

/** Credentials that stopped being valid, by the hashes of their secrets. */
export interface Revocation {
  hashes: string[];
}

/**
 * Credentials are checked for the whole life of a connection, not only when it opens: each
 * WebSocket (and Server-Sent Events stream) opened with one is watched, and when a revocation arrives (a key revoked, a sign-out, a user
 * deleted or demoted, a worker token revoked — from any instance, over the bus) the sockets
 * opened with it are closed with CLOSE.credentialRevoked, which tells SDKs not to retry with it.
 * Sockets are filed in one bucket per credential, which thousands of one service's sockets share;
 * the owner of a socket keeps the bucket `watch` returns and gives it to `forget` when it closes.
 */
export class CredentialWatch {
  private readonly byHash = new Map<string, Bucket>();

  watch(ws: Closable, hash: string): Bucket {
    let bucket = this.byHash.get(hash);
    if (!bucket) this.byHash.set(hash, (bucket = new Bucket(hash)));
    bucket.add(ws);
    return bucket;
  }

  forget(ws: Closable, bucket: Bucket): void {
    if (bucket.delete(ws) && bucket.size === 0 && this.byHash.get(bucket.hash) === bucket) this.byHash.delete(bucket.hash);
  }

  /** Closes the sockets a revocation names; returns how many. */
  revoked(r: Revocation): number {
    let closed = 0;
    for (const hash of r.hashes) {
      for (const ws of this.byHash.get(hash) ?? []) {
        ws.close(CLOSE.credentialRevoked, 'credential revoked');
        closed++;
      }
    }
    return closed;
  }
}

/** The connections opened with one credential, knowing its hash. */
export class Bucket extends Set<Closable> {
  constructor(readonly hash: string) {
    super();
  }
}

/** Tells every instance (this one included) that credentials stopped being valid: their sockets close. */
export function announceRevocation(ctx: { core: GatewayCore }, r: Revocation): void {
  if (r.hashes.length > 0) ctx.core.jobs.control({ op: 'revoked', hashes: r.hashes });
}
