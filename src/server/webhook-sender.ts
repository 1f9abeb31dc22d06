import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Delivery } from '../core/ports/deliveries.ts';
import { RefusedDestination, type WebhookSender } from '../core/webhooks.ts';
import type { WebhookDestinations } from './webhook-destinations.ts';

/** How long a receiver may take to answer. */
const TIMEOUT_MS = 10_000;

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the space's secret: the receiver
 * recomputes it, and refuses a timestamp too old, so a captured delivery cannot be replayed later.
 */
export function webhookSignature(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** Sends deliveries as signed POSTs to checked destinations (docs/webhooks.md). */
export function webhookSender(destinations: WebhookDestinations): WebhookSender {
  return async (delivery: Delivery, secret: string) => {
    let target: { address: string; family: 4 | 6 };
    let url: URL;
    try {
      url = destinations.parse(delivery.url);
      target = await destinations.resolve(url);
    } catch (err) {
      throw new RefusedDestination((err as Error).message);
    }
    const signature = webhookSignature(secret, delivery.body, Math.floor(Date.now() / 1000));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<number>((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'POST',
          timeout: TIMEOUT_MS,
          // To the address checked, whatever a second lookup would say now.
          lookup: (_host, _options, done: (err: Error | null, address: string, family: number) => void) => done(null, target.address, target.family),
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(delivery.body),
            'user-agent': 'Spaceport-Webhooks',
            'spaceport-delivery': delivery.id,
            'spaceport-event': delivery.event,
            'spaceport-signature': signature,
          },
        },
        (res) => {
          res.resume(); // the answer's body is not kept: its status is the answer
          res.once('end', () => resolve(res.statusCode ?? 0));
          res.once('error', reject);
        },
      );
      req.once('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
      req.once('error', reject);
      req.end(delivery.body);
    });
  };
}
