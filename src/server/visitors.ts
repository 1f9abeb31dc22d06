import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identity } from '../core/types.ts';
import { clientAddress } from './client-address.ts';
import { cookieValue } from './cookies.ts';

export const VISITOR_COOKIE = 'spaceport_visitor';
const YEAR_S = 365 * 24 * 3600;

/**
 * Anonymous callers, told apart. A browser that loads one of our pages gets a visitor cookie —
 * a random id signed with a key derived from the admin token, so every instance of a deployment
 * accepts it and nobody can mint one — and is that visitor from then on: its sessions, its frames'
 * state. A caller without the cookie (a script) is its client address. Budgets always count by
 * address (Identity.budget), so dropping the cookie buys nothing.
 */
export class Visitors {
  private readonly key: Buffer;

  constructor(
    adminToken: string,
    private readonly trustedProxies: readonly string[],
    private readonly secure: boolean,
  ) {
    this.key = createHash('sha256').update(`spaceport visitor cookies:${adminToken}`).digest();
  }

  /** The anonymous identity of a request. */
  identity(req: IncomingMessage): Identity {
    const address = digest(this.key, `address:${clientAddress(req, this.trustedProxies)}`);
    const visitor = this.visitorId(req);
    return { kind: 'anonymous', id: visitor ? `anon_${visitor}` : `anon_addr_${address}`, name: 'anonymous', budget: `addr_${address}` };
  }

  /** Gives a browser without a valid visitor cookie one (on the pages it loads). */
  greet(req: IncomingMessage, res: ServerResponse): void {
    if (this.visitorId(req) !== null) return;
    const id = randomBytes(12).toString('base64url');
    const value = `${id}.${digest(this.key, `visitor:${id}`)}`;
    res.appendHeader('set-cookie', `${VISITOR_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${YEAR_S}${this.secure ? '; Secure' : ''}`);
  }

  private visitorId(req: IncomingMessage): string | null {
    const value = cookieValue(req, VISITOR_COOKIE);
    const dot = value?.indexOf('.') ?? -1;
    if (!value || dot <= 0) return null;
    const id = value.slice(0, dot);
    const mac = Buffer.from(value.slice(dot + 1));
    const expected = Buffer.from(digest(this.key, `visitor:${id}`));
    return mac.length === expected.length && timingSafeEqual(mac, expected) ? id : null;
  }
}

const digest = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest('base64url').slice(0, 22);
