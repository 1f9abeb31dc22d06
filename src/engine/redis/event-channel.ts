import type { BusListener } from '../../core/ports/bus.ts';

/**
 * Job events on the Redis bus: on their space's channel `ev:<space id>`, each message
 * `<job id> TAB <owner id> TAB <event line>` (ids hold no tab, and a line's JSON holds none raw).
 */
const PREFIX = 'ev:';

export const eventChannel = (spaceId: string): string => PREFIX + spaceId;

export const encodeEvent = (jobId: string, ownerId: string, line: string): string => `${jobId}\t${ownerId}\t${line}`;

/** Hands a received bus message to the listener: decoded when it is a job event. */
export function deliver(listener: BusListener, channel: string, message: string): void {
  if (!channel.startsWith(PREFIX)) return listener.message(channel, message);
  const t1 = message.indexOf('\t');
  const t2 = message.indexOf('\t', t1 + 1);
  listener.jobEvent(channel.slice(PREFIX.length), message.slice(0, t1), message.slice(t1 + 1, t2), message.slice(t2 + 1));
}
