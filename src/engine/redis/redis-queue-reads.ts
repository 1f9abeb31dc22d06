import type { Redis } from 'ioredis';
import type { JobStore } from '../../core/ports/jobs.ts';

/** The engine port's reads of a space's queue (P q:<spaceId>, P moves:<spaceId>; scripts.ts): each O(log n) or better in its length. */
export function redisQueueReads(redis: Redis, P: string, guard: <T>(work: () => Promise<T>) => Promise<T>): Pick<JobStore, 'queuedJobIds' | 'queuePosition' | 'queueState'> {
  return {
    queuedJobIds: (spaceId, start = 0, end = Infinity) => guard(async () => (end <= start ? [] : redis.zrange(`${P}q:${spaceId}`, String(start), end === Infinity ? '-1' : String(end - 1)))),
    queuePosition: (spaceId, jobId) => guard(async () => (await redis.zrank(`${P}q:${spaceId}`, jobId)) ?? -1),
    queueState: (spaceId) =>
      guard(async () => {
        const [length, moves] = await Promise.all([redis.zcard(`${P}q:${spaceId}`), redis.hmget(`${P}moves:${spaceId}`, 'departures', 'ahead')]);
        return { length, departures: Number(moves[0] ?? 0), insertionsAhead: Number(moves[1] ?? 0) };
      }),
  };
}
