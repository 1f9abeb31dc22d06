import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Identity } from '../core/types.ts';
import type { CredentialRecord } from '../core/ports/records.ts';
import type { Engine } from '../core/engine-port.ts';
import { SpaceportError } from '../protocol/errors.ts';
import { cookieValue } from './cookies.ts';
import type { Visitors } from './visitors.ts';

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

/** The hash of the secret a request presents (a token, else the sign-in cookie), if any. */
export function presentedSecretHash(req: IncomingMessage, url: URL): string | undefined {
  const secret = presentedToken(req, url) ?? sessionCookie(req);
  return secret ? hashSecret(secret) : undefined;
}

/** No Origin (not a browser) passes; else the allowlist decides, or with none, the gateway's own host. */
export function cookieOriginAllowed(req: IncomingMessage, allowedOrigins: string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowedOrigins.length > 0) return allowedOrigins.includes(origin);
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function unauthorized(): never {
  throw new SpaceportError('unauthorized', 'The token is not a valid API key or session.');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const SESSION_COOKIE = 'spaceport_session';

/** The sign-in session cookie's value, if the request carries one. */
export function sessionCookie(req: IncomingMessage): string | undefined {
  const value = cookieValue(req, SESSION_COOKIE);
  try {
    return value === undefined ? undefined : decodeURIComponent(value);
  } catch {
    return undefined; // a mangled cookie is no session, not an error of ours
  }
}

/** Who a request is, and whether the browser's cookie (rather than an explicit token) said so. */
export interface RequestIdentity {
  who: Identity;
  viaCookie: boolean;
}

export class Authenticator {
  constructor(
    private readonly engine: Engine,
    private readonly adminToken: string,
    /** Tells anonymous callers apart; without it every one is ANONYMOUS. */
    private readonly visitors?: Visitors,
  ) {}

  isAdminToken(token: string): boolean {
    return sameSecret(token, this.adminToken);
  }

  /** What the built-in admin's sign-ins are bound to: the current admin token, hashed (never stored itself). */
  get adminFingerprint(): string {
    return hashSecret(`admin sign-in:${this.adminToken}`).slice(0, 32);
  }

  /** No token → anonymous; a token that matches nothing → unauthorized (never silently anonymous). */
  async identify(token: string | undefined): Promise<Identity> {
    if (token === undefined || token === '') return ANONYMOUS;
    if (this.isAdminToken(token)) return ADMIN;
    const record = await this.engine.findCredential(hashSecret(token));
    if (record?.kind === 'api_key') {
      // A user's own key acts as that user (same owner id, so their jobs are one history).
      if (record.user_id) return (await this.userIdentity(record.user_id, 'key')) ?? unauthorized();
      return {
        kind: 'key',
        id: record.id,
        name: record.name,
        ...(typeof record.max_priority === 'number' && { max_priority: record.max_priority }),
        ...(typeof record.fair_weight === 'number' && { fair_weight: record.fair_weight }),
      };
    }
    const current = record?.admin_token === undefined || record.admin_token === null || record.admin_token === this.adminFingerprint;
    if (record?.kind === 'web_session' && record.user_id && current && (record.expires_at ?? Infinity) > Date.now()) {
      return (await this.userIdentity(record.user_id, 'user')) ?? unauthorized();
    }
    return unauthorized();
  }

  /** A request's identity: an explicit token first, else the sign-in cookie. A stale cookie is simply anonymous. */
  async identifyRequest(req: IncomingMessage, url: URL): Promise<RequestIdentity> {
    const token = presentedToken(req, url);
    if (token) return { who: await this.identify(token), viaCookie: false };
    const cookie = sessionCookie(req);
    const who = cookie ? await this.identify(cookie).catch(() => ANONYMOUS) : ANONYMOUS;
    if (who !== ANONYMOUS) return { who, viaCookie: true };
    return { who: this.visitors?.identity(req) ?? ANONYMOUS, viaCookie: false };
  }

  /**
   * The identity of a request that may carry the browser's cookie. A cookie is sent by the browser
   * whichever page made the request, so a cookie-authenticated WebSocket upgrade, or a request that
   * changes something, must come from an allowed origin (or the gateway's own) — else a foreign
   * page could act as the signed-in user.
   */
  async identifyBrowser(req: IncomingMessage, url: URL, allowedOrigins: string[], changes: boolean): Promise<Identity> {
    const { who, viaCookie } = await this.identifyRequest(req, url);
    if (viaCookie && changes && !cookieOriginAllowed(req, allowedOrigins)) {
      throw new SpaceportError('origin_not_allowed', 'A request signed in by cookie must come from an allowed origin.');
    }
    return who;
  }

  private async userIdentity(userId: string, kind: 'user' | 'key'): Promise<Identity | null> {
    const user = await this.engine.getUser(userId);
    if (!user) return null;
    return { kind: user.role === 'admin' ? 'admin' : kind, id: user.id, name: user.username };
  }

  /** A worker token (or the admin token) that may serve this space. */
  async workerCredential(token: string | undefined): Promise<CredentialRecord | 'admin' | null> {
    if (!token) return null;
    if (this.isAdminToken(token)) return 'admin';
    const record = await this.engine.findCredential(hashSecret(token));
    return record?.kind === 'worker_token' ? record : null;
  }
}
