import { systemClock, type Clock } from '../../src/core/clock.ts';
import type { Engine } from '../../src/core/engine-port.ts';
import { newId } from '../../src/core/ids.ts';
import { QueueRounds } from '../../src/core/queue-order.ts';
import { canTransition, isFinal, isLeased, noJobs } from '../../src/core/job-state.ts';
import type { BusListener } from '../../src/core/ports/bus.ts';
import type { LeaseHolder } from '../../src/core/ports/jobs.ts';
import { CHANNEL } from '../../src/core/topics.ts';
import type { Job, JobResult, JobState } from '../../src/core/types.ts';
import { SpaceportError } from '../../src/protocol/errors.ts';
import { eventLine, FINAL_EVENT_STATE, toldKey, toldPosition, type JobEvent } from '../../src/protocol/job-events.ts';
import { memoryBlobs } from './memory-blobs.ts';
import { memoryDeliveries } from './memory-deliveries.ts';
import { memoryRecords } from './memory-records.ts';

interface Entry {
  job: Job;
  log: string[];
  /** Where it stands in its queue while queued: lower goes first (requeues take ranks below every submit). */
  rank: number;
  told?: string | undefined;
  quota?: string | undefined;
}

/**
 * A third engine, kept in plain maps and nothing else: the in-memory double core's unit tests run
 * against (with a manual clock), and the proof that an engine is files added, not core edited — it
 * passes the same contract suites as the embedded and Redis engines (test/unit/memory-engine.test.ts).
 * Every member answers at once where the port allows it, as the embedded engine does.
 */
export function createMemoryEngine(clock: Clock = systemClock): Engine {
  const jobs = new Map<string, Entry>();
  /** Job ids by idempotency key (a purged job's key names nothing). */
  const idempotent = new Map<string, string>();
  const queues = new Map<string, Entry[]>();
  const listeners = new Set<BusListener>();
  const blobs = memoryBlobs();
  const rounds = new QueueRounds();
  const records = memoryRecords({
    spaceDeleted: (id) => {
      queues.delete(id);
      moves.delete(id);
      rounds.dropSpace(id);
    },
    blobsOf: (id) => blobs.deleteOwnedBy(id),
  });

  const queueOf = (spaceId: string) => {
    let q = queues.get(spaceId);
    if (!q) queues.set(spaceId, (q = []));
    return q;
  };
  /** How often each queue moved (QueueState). */
  const moves = new Map<string, { departures: number; insertionsAhead: number }>();
  const movesOf = (spaceId: string) => moves.get(spaceId) ?? moves.set(spaceId, { departures: 0, insertionsAhead: 0 }).get(spaceId)!;
  const enqueue = (e: Entry) => {
    const q = queueOf(e.job.space_id);
    q.push(e);
    q.sort((a, b) => a.rank - b.rank);
    if (q.indexOf(e) < q.length - 1) movesOf(e.job.space_id).insertionsAhead++;
  };
  /** Jobs waiting out a backoff before they join their queue (Job.not_before). */
  const waiting = new Set<Entry>();
  /** Whether it was in its queue (a waiting job is not). */
  const dequeue = (e: Entry): boolean => {
    const q = queueOf(e.job.space_id);
    const at = q.indexOf(e);
    if (at >= 0) q.splice(at, 1);
    if (at >= 0) movesOf(e.job.space_id).departures++;
    return at >= 0;
  };
  const moveTo = (e: Entry, to: JobState) => {
    if (!canTransition(e.job.state, to)) throw new Error(`${e.job.state} → ${to} is not a step of the job state machine`);
    e.job.state = to;
  };
  /** Appending publishes: the line goes to every listener in the same step. */
  const append = (e: Entry, event: JobEvent) => {
    const line = eventLine(e.job.id, e.log.length + 1, event);
    e.log.push(line);
    for (const l of listeners) l.jobEvent(e.job.space_id, e.job.id, e.job.owner.id, line);
  };
  const finish = (e: Entry, event: JobEvent, result?: JobResult) => {
    if (e.job.state === 'queued' && dequeue(e)) rounds.left(e.job);
    waiting.delete(e);
    moveTo(e, FINAL_EVENT_STATE[event.type]!);
    e.job.finished_at = clock.now();
    e.job.lease_expires = undefined;
    if (event.type === 'result') e.job.result = result ?? { data: event.data, files: [] };
    if (event.type === 'failed') e.job.error = { code: event.code, message: event.message };
    if (event.type === 'timed_out') e.job.error = { code: 'timed_out', message: event.message };
    if (event.type === 'cancelled') e.job.error = { code: 'cancelled', message: event.reason };
    append(e, event);
  };
  const holds = (e: Entry | undefined, h: LeaseHolder): e is Entry => !!e && isLeased(e.job.state) && e.job.worker_id === h.workerId && e.job.attempt === h.attempt;
  const unfinished = (quota: string) => [...jobs.values()].filter((e) => e.quota === quota && !isFinal(e.job.state)).length;
  const copy = (job: Job): Job => structuredClone(job);

  return {
    ...memoryDeliveries(),
    instanceId: newId('gw'),
    ...records,
    ...blobs,

    async submitJob(job, maxQueue, firstEvent, announce, quota) {
      const made = job.idempotency && idempotent.get(job.idempotency.key);
      if (made && jobs.has(made)) return { existing: made };
      const q = queueOf(job.space_id);
      if (q.length >= maxQueue) throw new SpaceportError('queue_full');
      const key = quota && `${job.space_id}:${quota.key}`;
      if (key && unfinished(key) >= quota.max) throw new SpaceportError('quota_exceeded');
      const e: Entry = { job: copy(job), log: [], rank: 0, told: undefined, quota: key };
      if (job.not_before === undefined) {
        e.rank = rounds.join(job);
        enqueue(e);
      } else waiting.add(e);
      const position = job.not_before === undefined ? q.indexOf(e) : q.length;
      const first = firstEvent(position);
      e.told = toldPosition(first);
      jobs.set(job.id, e);
      if (job.idempotency) idempotent.set(job.idempotency.key, job.id);
      append(e, first); // in the log before it can be claimed, as in the real engines (an attempt's events follow it)
      if (announce !== undefined && job.not_before === undefined) for (const l of listeners) l.message(CHANNEL.control, announce);
      return { position, line: e.log[0]! };
    },
    claimJob(spaceIds, workerId, leaseMs) {
      const heads = spaceIds.map((id) => queues.get(id)?.[0]).filter((e): e is Entry => e !== undefined);
      const e = heads.sort((a, b) => a.rank - b.rank)[0];
      if (!e) return null;
      dequeue(e);
      rounds.taken(e.job, e.rank);
      moveTo(e, 'assigned');
      e.job.attempt += 1;
      e.job.attempt_seq = e.log.length;
      e.job.worker_id = workerId;
      e.job.lease_expires = clock.now() + leaseMs;
      return copy(e.job);
    },
    async reattachJob(jobId, from, toWorkerId, leaseMs) {
      const e = jobs.get(jobId);
      if (!holds(e, from)) return null;
      e.job.worker_id = toWorkerId;
      e.job.lease_expires = clock.now() + leaseMs;
      return { received: e.log.length - e.job.attempt_seq! };
    },
    async renewLeases(workerId, jobIds, leaseMs) {
      for (const id of jobIds) {
        const e = jobs.get(id);
        if (e && isLeased(e.job.state) && e.job.worker_id === workerId) e.job.lease_expires = clock.now() + leaseMs;
      }
    },
    tellPositions(spaceId, updates) {
      return updates.map(({ id, position, line }) => {
        const e = jobs.get(id);
        if (e?.job.state !== 'queued' || e.job.space_id !== spaceId) return false;
        const told = toldKey(e.job.attempt, position);
        if (e.told === told) return false;
        e.told = told;
        for (const l of listeners) l.jobEvent(e.job.space_id, e.job.id, e.job.owner.id, line);
        return true;
      });
    },
    appendEvent(ref, event, holder, result) {
      const e = jobs.get(ref.id);
      if (!e || isFinal(e.job.state) || (holder && !holds(e, holder))) return false;
      if (event.type in FINAL_EVENT_STATE) {
        finish(e, event, result);
        return true;
      }
      if (event.type === 'started' && e.job.state === 'assigned') {
        moveTo(e, 'running');
        e.job.started_at = clock.now();
      }
      append(e, event);
      return true;
    },
    async releaseJob(ref, holder, requeued, exhausted, notBefore) {
      const e = jobs.get(ref.id);
      if (!holds(e, holder)) return null;
      if (e.job.attempt >= e.job.max_attempts) {
        finish(e, exhausted);
        return { requeued: false };
      }
      moveTo(e, 'queued');
      e.job.worker_id = undefined;
      e.job.lease_expires = undefined;
      e.job.started_at = undefined;
      if (notBefore === undefined) {
        e.rank = rounds.rejoin(e.job);
        enqueue(e);
      } else {
        e.job.not_before = notBefore;
        waiting.add(e);
      }
      e.job.epoch = (e.job.epoch ?? 1) + 1;
      e.job.epoch_seq = e.log.length + 1;
      const event = { ...requeued(Math.max(0, queueOf(e.job.space_id).indexOf(e))), epoch: e.job.epoch } as JobEvent;
      e.told = toldPosition(event);
      append(e, event);
      return { requeued: true };
    },
    async promoteDue(now) {
      const out = [];
      for (const e of waiting) {
        if ((e.job.not_before ?? 0) > now) continue;
        waiting.delete(e);
        e.job.not_before = undefined;
        e.rank = e.job.attempt === 0 ? rounds.join(e.job) : rounds.rejoin(e.job);
        enqueue(e);
        out.push({ spaceId: e.job.space_id, jobId: e.job.id });
      }
      return out;
    },
    async endJob(ref, event) {
      const e = jobs.get(ref.id);
      if (!e || isFinal(e.job.state)) return null;
      const before = copy(e.job);
      finish(e, event);
      return before;
    },
    getJob: async (id) => {
      const e = jobs.get(id);
      return e ? copy(e.job) : null;
    },
    readEvents(jobId, afterSeq) {
      const e = jobs.get(jobId);
      if (!e) return null;
      return { lines: e.log.slice(afterSeq), firstSeq: 1, lastSeq: e.log.length, final: isFinal(e.job.state), epoch: e.job.epoch ?? 1, epochSeq: e.job.epoch_seq ?? 1 };
    },
    queuedJobIds: async (spaceId, start, end) => (queues.get(spaceId) ?? []).slice(start, end).map((e) => e.job.id),
    queuePosition: async (spaceId, jobId) => (queues.get(spaceId) ?? []).findIndex((e) => e.job.id === jobId),
    queueState: async (spaceId) => ({ length: queues.get(spaceId)?.length ?? 0, ...movesOf(spaceId) }),
    expiredLeases: async (now) =>
      [...jobs.values()].filter((e) => isLeased(e.job.state) && (e.job.lease_expires ?? 0) <= now).map((e) => ({ jobId: e.job.id, workerId: e.job.worker_id!, attempt: e.job.attempt })),
    overdueJobs: async (now, limit = Infinity) =>
      [...jobs.values()]
        .filter((e) => !isFinal(e.job.state) && e.job.deadline <= now)
        .sort((a, b) => a.job.deadline - b.job.deadline)
        .slice(0, limit)
        .map((e) => copy(e.job)),
    async countJobs() {
      const counts = noJobs();
      for (const e of jobs.values()) counts[e.job.state] += 1;
      return counts;
    },
    listJobs: async ({ spaceId, state, ownerId, before, limit }) =>
      [...jobs.values()]
        .map((e) => e.job)
        .filter((j) => (!spaceId || j.space_id === spaceId) && (!state || j.state === state) && (!ownerId || j.owner.id === ownerId) && (!before || j.id < before))
        .sort((a, b) => (a.id < b.id ? 1 : -1))
        .slice(0, limit)
        .map(copy),
    async purgeFinishedBefore(before) {
      const old = [...jobs.values()].filter((e) => isFinal(e.job.state) && (e.job.finished_at ?? 0) < before);
      for (const e of old) {
        jobs.delete(e.job.id);
        blobs.deleteOwnedBy(e.job.id);
      }
      return old.length;
    },

    publish(channel, message) {
      if (message.includes('\n')) throw new Error('a bus message must be a single line');
      for (const l of listeners) l.message(channel, message);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
    },
  };
}
