import type { Redis } from 'ioredis';
import { isFinal, noJobs } from '../../core/job-state.ts';
import type { EventRange, JobStore } from '../../core/ports/jobs.ts';
import type { Job, JobState } from '../../core/types.ts';
import { jobFromHash } from './job-hash.ts';
import { guard } from './redis-guard.ts';

/** The engine port's reads of a space's queue (P q:<spaceId>, P moves:<spaceId>; scripts.ts): each O(log n) or better in its length. */
export function redisQueueReads(redis: Redis, P: string): Pick<JobStore, 'queuedJobIds' | 'queuePosition' | 'queueState'> {
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

/** Reads a job from its hash (P job:<id>): null when there is none. */
export const jobReader =
  (redis: Redis, P: string) =>
  async (id: string): Promise<Job | null> =>
    jobFromHash(await redis.hgetall(`${P}job:${id}`));

/** The engine port's reads of jobs (P job:<id>, P log:<id>, the lease and deadline indexes, the counts; scripts.ts). */
export function redisJobReads(redis: Redis, P: string): Pick<JobStore, 'getJob' | 'readEvents' | 'expiredLeases' | 'overdueJobs' | 'countJobs'> {
  const getJob = jobReader(redis, P);
  return {
    getJob: (id) => guard(() => getJob(id)),
    readEvents: (jobId, afterSeq) =>
      guard(async () => {
        const log = `${P}log:${jobId}`;
        // One transaction, so `final` and the lines agree (a result appended in between would
        // otherwise be replayed as not final and then arrive again live).
        const replies =
          (await redis
            .multi()
            .hmget(`${P}job:${jobId}`, 'state', 'seq', 'epoch', 'epoch_seq')
            .xrange(log, '-', '+', 'COUNT', 1)
            .xrange(log, `${afterSeq + 1}-0`, '+')
            .exec()) ?? [];
        const [state, lastSeq, epoch, epochSeq] = replies[0]![1] as Array<string | null>;
        if (!state) return null;
        const first = replies[1]![1] as Array<[string, string[]]>;
        const entries = replies[2]![1] as Array<[string, string[]]>;
        const firstSeq = first[0] ? Number(first[0][0].split('-')[0]) : Number(lastSeq) + 1;
        const lines = entries.map(([, fields]) => fields[1]!);
        return { lines, firstSeq, lastSeq: Number(lastSeq ?? 0), final: isFinal(state as JobState), epoch: Number(epoch ?? 1), epochSeq: Number(epochSeq ?? 1) } satisfies EventRange;
      }),
    expiredLeases: (now) =>
      guard(async () => {
        const ids = await redis.zrangebyscore(`${P}leases`, '-inf', String(now));
        const out: Array<{ jobId: string; workerId: string; attempt: number }> = [];
        for (const id of ids) {
          const [worker, attempt] = await redis.hmget(`${P}job:${id}`, 'worker_id', 'attempt');
          if (worker) out.push({ jobId: id, workerId: worker, attempt: Number(attempt) });
        }
        return out;
      }),
    overdueJobs: (now, limit = Infinity) =>
      guard(async () => {
        const ids = await (limit === Infinity ? redis.zrangebyscore(`${P}deadlines`, '-inf', String(now)) : redis.zrangebyscore(`${P}deadlines`, '-inf', String(now), 'LIMIT', 0, limit));
        return (await Promise.all(ids.map(getJob))).filter((j): j is Job => j !== null);
      }),
    countJobs: () =>
      guard(async () => {
        const counts = noJobs();
        for (const [state, n] of Object.entries(await redis.hgetall(`${P}counts`))) if (state in counts) counts[state as JobState] = Math.max(0, Number(n));
        return counts;
      }),
  };
}
