import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { SpaceportError } from '../protocol/errors.ts';

/**
 * Where webhooks may go (docs/webhooks.md): http(s) URLs without credentials in them, to public
 * addresses only — loopback, private, link-local, shared, multicast and reserved ranges are refused
 * (a webhook must not be a way into the gateway's own network) unless the admin allows a host, an
 * address or a range (SPACEPORT_WEBHOOK_ALLOW). A host name is checked by every address it
 * resolves to, and the request then goes to an address so checked (no second lookup to rebind).
 */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

export class WebhookDestinations {
  private readonly hosts = new Set<string>();
  private readonly allowed = new BlockList();

  /** `allow`: host names, addresses and CIDR ranges (`10.1.0.0/16`) webhooks may reach although private. */
  constructor(allow: string[] = []) {
    for (const entry of allow.map((a) => a.trim().toLowerCase()).filter(Boolean)) {
      const [address, bits] = entry.split('/') as [string, string | undefined];
      const family = isIP(address);
      if (family === 0) this.hosts.add(entry);
      else if (bits === undefined) this.allowed.addAddress(address, family === 6 ? 'ipv6' : 'ipv4');
      else this.allowed.addSubnet(address, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
    }
  }

  /** A space's webhook URL, checked as a delivery to it would be (webhook_not_allowed otherwise). */
  async check(url: string | null | undefined): Promise<void> {
    if (url) await this.resolve(this.parse(url));
  }

  /** The URL, checked: a webhook_not_allowed error says what is wrong with it. */
  parse(url: string): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SpaceportError('webhook_not_allowed', 'webhook_url: not a URL.');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new SpaceportError('webhook_not_allowed', 'webhook_url: only http and https.');
    if (parsed.username || parsed.password) throw new SpaceportError('webhook_not_allowed', 'webhook_url: no credentials in the URL (the deliveries are signed instead).');
    return parsed;
  }

  /** The address to send to: every address of the host is checked (webhook_not_allowed if any is refused). */
  async resolve(url: URL): Promise<{ address: string; family: 4 | 6 }> {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const addresses = isIP(host) ? [{ address: host, family: isIP(host) as 4 | 6 }] : ((await lookup(host, { all: true })) as Array<{ address: string; family: 4 | 6 }>);
    if (addresses.length === 0) throw new SpaceportError('webhook_not_allowed', `webhook_url: ${host} has no address.`);
    if (this.hosts.has(host)) return addresses[0]!;
    for (const { address, family } of addresses) {
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (PRIVATE.check(address, type) && !this.allowed.check(address, type)) {
        throw new SpaceportError('webhook_not_allowed', `webhook_url: ${host} is a private or reserved address (${address}); allow it with SPACEPORT_WEBHOOK_ALLOW.`);
      }
    }
    return addresses[0]!;
  }
}
