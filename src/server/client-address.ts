import type { IncomingMessage } from 'node:http';

/** "::ffff:127.0.0.1" and "127.0.0.1" are one address. */
const plain = (address: string): string => (address.startsWith('::ffff:') ? address.slice(7) : address);

/**
 * The address a request comes from, for budgets and sign-in throttling. The socket's peer, unless
 * that peer is one of `trustedProxies`: then the nearest address in X-Forwarded-For that is not
 * itself a trusted proxy (read from the right, since everything left of the first untrusted hop is
 * whatever the client chose to write). With no trusted proxies the header is ignored: anyone can
 * send one.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: readonly string[]): string {
  const peer = plain(req.socket.remoteAddress ?? 'unknown');
  if (trustedProxies.length === 0 || !trustedProxies.includes(peer)) return peer;
  const forwarded = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? ''))
    .split(',')
    .map((h) => plain(h.trim()))
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!trustedProxies.includes(hops[i]!)) return hops[i]!;
  return hops[0] ?? peer;
}
