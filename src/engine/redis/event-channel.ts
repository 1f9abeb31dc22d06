import type { BusListener, EventReach } from '../../core/ports/bus.ts';
import { splitBatch } from './turn-batch.ts';

/**
 * Job events on Redis pub/sub, outside the bus every instance hears (P bus:*): each on its space's
 * channel `P ev:<space id>`, heard by the instances watching the space, and on the own channel
 * `P to:<instance id>` of each instance following the job (scripts.ts publish). Each message is
 * `<space id> TAB <job id> TAB <owner id> TAB <event line>` (ids hold no tab, and a line's JSON
 * holds none raw); a PUBLISH joins several with newlines.
 */
export const spaceEventChannel = (P: string, spaceId: string): string => `${P}ev:${spaceId}`;
export const followerChannel = (P: string, instanceId: string): string => `${P}to:${instanceId}`;

export const encodeEvent = (spaceId: string, jobId: string, ownerId: string, line: string): string => `${spaceId}\t${jobId}\t${ownerId}\t${line}`;

/** encodeEvent's prefix split around the owner, for a script that reads the owner from the job's hash: it joins `head .. owner .. tail`. */
export function prefixAroundOwner(spaceId: string, jobId: string): [string, string] {
  const prefix = encodeEvent(spaceId, jobId, '\u0000', '');
  const at = prefix.indexOf('\u0000');
  return [prefix.slice(0, at), prefix.slice(at + 1)];
}

/** Hands each job event of a received PUBLISH to the listeners, for those it reached. */
export function deliverEvents(listeners: Iterable<BusListener>, payload: string, reach: EventReach): void {
  for (const message of splitBatch(payload)) {
    const t1 = message.indexOf('\t');
    const t2 = message.indexOf('\t', t1 + 1);
    const t3 = message.indexOf('\t', t2 + 1);
    const spaceId = message.slice(0, t1);
    const jobId = message.slice(t1 + 1, t2);
    const ownerId = message.slice(t2 + 1, t3);
    const line = message.slice(t3 + 1);
    for (const l of listeners) l.jobEvent(spaceId, jobId, ownerId, line, reach);
  }
}
