import type { Redis } from 'ioredis';
import type { Bus, BusListener } from '../../core/ports/bus.ts';
import { deliverEvents, followerChannel, spaceEventChannel } from './event-channel.ts';

/**
 * Which job events reach this instance (ports/bus.ts follow and watch): on its own channel, always,
 * those of the jobs submitted here and of those followed from here; on a space's channel, while a
 * client here watches the space; on every space's (a pattern), while one watches everything. An
 * instance whose clients follow nothing — one serving only workers — hears no job event at all.
 */
export async function redisEventSubscriptions(sub: Redis, P: string, instanceId: string, listeners: Set<BusListener>): Promise<Required<Pick<Bus, 'watch'>>> {
  const own = followerChannel(P, instanceId);
  const spaces = spaceEventChannel(P, '');
  const everySpace = `${spaces}*`;
  /** The pattern is in place (Redis confirmed it): a space's own channel's copy is left to it. */
  let everything = false;
  /** The latest watch of every space: a confirmation that is no longer wanted changes nothing. */
  let asked = 0;
  sub.on('message', (channel: string, payload: string) => {
    if (channel === own) deliverEvents(listeners, payload, 'followers');
    else if (!everything && channel.startsWith(spaces)) deliverEvents(listeners, payload, 'watchers');
  });
  sub.on('pmessage', (pattern: string, _channel: string, payload: string) => {
    if (pattern === everySpace) deliverEvents(listeners, payload, 'watchers');
  });
  await sub.subscribe(own);
  // (A dropped connection resubscribes to all of these on its own.)
  return {
    watch(spaceId, on) {
      if (spaceId !== null) {
        const channel = spaceEventChannel(P, spaceId);
        void (on ? sub.subscribe(channel) : sub.unsubscribe(channel)).catch(() => {});
        return;
      }
      const mine = ++asked;
      if (on) {
        sub.psubscribe(everySpace).then(
          () => void (asked === mine && (everything = true)),
          () => {},
        );
      } else {
        everything = false;
        void sub.punsubscribe(everySpace).catch(() => {});
      }
    },
  };
}
