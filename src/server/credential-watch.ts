import type { WebSocket } from 'ws';
import { CLOSE } from '../protocol/close-codes.ts';
import type { ServerContext } from './server-context.ts';

/** What an open socket was opened with: the presented secret's hash, and the user it acts as. */
export interface SocketCredential {
  hash?: string | undefined;
  userId?: string | undefined;
}

/** Credentials that stopped being valid: by their hashes, or every one of a user. */
export interface Revocation {
  hashes: string[];
  user?: string | undefined;
}

/**
 * Credentials are checked for the whole life of a socket, not only when it opens: each socket
 * opened with one is watched, and when a revocation arrives (a key revoked, a sign-out, a user
 * deleted or demoted, a worker token revoked — from any instance, over the bus) the sockets
 * opened with it are closed with CLOSE.credentialRevoked, which tells SDKs not to retry with it.
 */
export class CredentialWatch {
  private readonly watched = new Map<WebSocket, SocketCredential>();

  watch(ws: WebSocket, credential: SocketCredential): void {
    if (credential.hash === undefined && credential.userId === undefined) return;
    if (!this.watched.has(ws)) ws.once('close', () => this.watched.delete(ws));
    this.watched.set(ws, { ...this.watched.get(ws), ...credential });
  }

  /** Closes the sockets a revocation names; returns how many. */
  revoked(r: Revocation): number {
    const hashes = new Set(r.hashes);
    let closed = 0;
    for (const [ws, c] of this.watched) {
      if ((c.hash !== undefined && hashes.has(c.hash)) || (r.user !== undefined && c.userId === r.user)) {
        this.watched.delete(ws);
        ws.close(CLOSE.credentialRevoked, 'credential revoked');
        closed++;
      }
    }
    return closed;
  }
}

/** Tells every instance (this one included) that credentials stopped being valid: their sockets close. */
export function announceRevocation(ctx: Pick<ServerContext, 'core'>, r: Revocation): void {
  ctx.core.jobs.control({ op: 'revoked', hashes: r.hashes, ...(r.user !== undefined && { user: r.user }) });
}
