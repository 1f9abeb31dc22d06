import type { JobStore } from '../../core/ports/jobs.ts';
import { prefixAroundOwner, spaceEventChannel } from './event-channel.ts';
import { guard } from './redis-guard.ts';

type Script = (name: 'TELL' | 'CLAIM_TELLING', args: Array<string | number>) => Promise<unknown>;

/**
 * Queue positions under Redis (core/queue-monitor.ts tells them): a refresh's updates told by one
 * TELL script, and the claim that lets one instance at a time work out a queue's moves
 * (CLAIM_TELLING, event-scripts.ts). `run` keeps a turn's order with the events before it; the
 * claim changes no job, so it needs none.
 */
export function redisPositions(P: string, run: Script, script: Script): Required<Pick<JobStore, 'tellPositions' | 'claimPositionTelling'>> {
  return {
    tellPositions: (spaceId, updates) =>
      guard(async () => {
        if (updates.length === 0) return [];
        const args: Array<string | number> = [spaceId, spaceEventChannel(P, spaceId)];
        for (const { id, position, line } of updates) {
          const [head, tail] = prefixAroundOwner(spaceId, id);
          args.push(id, position, head, tail + line);
        }
        return ((await run('TELL', args)) as number[]).map((told) => told === 1);
      }),
    claimPositionTelling: (spaceId, departures, insertionsAhead, everyMs, part) =>
      guard(async () => {
        const out = await script('CLAIM_TELLING', [spaceId, departures, insertionsAhead, everyMs, part]);
        if (!Array.isArray(out)) return null;
        if (Number(out[0]) === 2) return 'later';
        const [, toldDepartures, toldAhead] = out.map(Number) as [number, number, number];
        return toldDepartures < 0 ? {} : { toldUpTo: { departures: toldDepartures, insertionsAhead: toldAhead } };
      }),
  };
}
