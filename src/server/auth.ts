import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Identity } from '../core/types.ts';
import type { CredentialRecord, Engine } from '../engine/types.ts';
import { SpaceportError } from '../protocol/errors.ts';

export const ANONYMOUS: Identity = { kind: 'anonymous', id: 'anonymous', name: 'anonymous' };
export const ADMIN: Identity = { kind: 'admin', id: 'admin', name: 'admin' };

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The credential a request carries: `Authorization: Bearer …`, or `?token=…` (browsers cannot set WebSocket headers). */
export function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  return url.searchParams.get('token') ?? undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Authenticator {
  constructor(
    private readonly engine: Engine,
    private readonly adminToken: string,
  ) {}

  isAdminToken(token: string): boolean {
    return sameSecret(token, this.adminToken);
  }

  /** No token → anonymous; a token that matches nothing → unauthorized (never silently anonymous). */
  async identify(token: string | undefined): Promise<Identity> {
    if (token === undefined || token === '') return ANONYMOUS;
    if (this.isAdminToken(token)) return ADMIN;
    const record = await this.engine.findCredential(hashSecret(token));
    if (record?.kind === 'api_key') return { kind: 'key', id: record.id, name: record.name };
    throw new SpaceportError('unauthorized', 'The token is not a valid API key.');
  }

  /** A worker token (or the admin token) that may serve this space. */
  async workerCredential(token: string | undefined): Promise<CredentialRecord | 'admin' | null> {
    if (!token) return null;
    if (this.isAdminToken(token)) return 'admin';
    const record = await this.engine.findCredential(hashSecret(token));
    return record?.kind === 'worker_token' ? record : null;
  }
}
