import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EventLog } from '../../core/event-log.ts';
import { FINAL_EVENT_STATE, eventLine, toldKey, toldPosition, type JobEvent } from '../../protocol/job-events.ts';
import { budgetKey, overBudget } from '../../core/budgets.ts';
import { canTransition, isFinal, isLeased } from '../../core/job-state.ts';
import { newId } from '../../core/ids.ts';
import type { Job, JobResult, JobState, WorkerInfo } from '../../core/types.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import type { Engine } from '../../core/engine-port.ts';
import type { LeaseHolder } from '../../core/ports/jobs.ts';
import { CHANNEL } from '../../core/topics.ts';
import { BufferedWrites, type ActiveJob } from './buffered-writes.ts';
import { markCleanStop, takeCleanStop } from './clean-stop.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { embeddedBlobs } from './embedded-blobs.ts';
import type { EmbeddedEngineOptions } from './embedded-options.ts';
import { embeddedRecords } from './embedded-records.ts';
import { LocalBus } from './local-bus.ts';
import { OwnedJobs, budgetOf } from './owned-jobs.ts';
import { SpaceQueues } from './space-queues.ts';
import { ActiveIndex } from './active-index.ts';
import { purgeFinished } from './purge-finished.ts';
import { openStore } from './open-store.ts';
import { storedRank } from '../../core/queue-order.ts';
import { GroupCommit } from './group-commit.ts';
import { IdempotencyIndex } from './idempotency-index.ts';
import { memoryRateWindows } from './rate-windows.ts';
import { epochOf, storedEventReads } from './stored-events.ts';

export type { EmbeddedEngineOptions } from './embedded-options.ts';

/**
 * The default engine: one process, state in memory, everything that must survive a restart on
 * disk. A new job is durable before it is accepted — the jobs submitted in one turn of the event
 * loop share one commit to the job journal at its end, and a worker may already be on its way to
 * one meanwhile — and a final state with its last events is durable in one commit before anyone
 * hears of it. What happens in between — assignment, start, a requeue, tokens and progress — is
 * batched (flushIntervalMs): a gateway crash requeues every job that was out with a worker anyway,
 * so losing the last few milliseconds of it changes only whether that attempt is counted. SQLite
 * takes the journal a segment at a time (job-journal.ts; every applyIntervalMs, and before any
 * read of it) and answers the queries memory cannot.
 */
export function createEmbeddedEngine(options: EmbeddedEngineOptions): Engine {
  mkdirSync(join(options.dataDir, 'blobs'), { recursive: true });
  const unlock = lockDataDir(options.dataDir);
  // After a clean stop nothing was lost: no epoch begins, and workers may take their jobs back.
  const stoppedCleanly = takeCleanStop(options.dataDir);
  const { store, journal, applier, deliveries, close: closeStorage } = openStore(options.dataDir, options.checkpointIntervalMs ?? 0);

  const { close: closeBlobs, removeBlob, ...blobs } = embeddedBlobs(options.dataDir, store, options);
  const maxEvents = options.maxEventsPerJob ?? 10_000;
  const maxEventBytes = options.maxEventBytesPerJob ?? 8 * 1024 * 1024;
  const bus = new LocalBus();

  const workers = new Map<string, WorkerInfo>();
  const active = new Map<string, ActiveJob>();
  const idempotent = new IdempotencyIndex((key) => store.jobIdByIdempotency(key));
  const queues = new SpaceQueues();
  const index = new ActiveIndex(store.countFinal());
  const records = embeddedRecords(store, (spaceId) => queues.dropSpace(spaceId), removeBlob);
  const owned = new OwnedJobs();
  /** The job no longer counts against its caller's budget (it ended, or was never accepted). */
  const unown = (a: ActiveJob) => a.budget !== undefined && owned.release(a.budget, a.job.id);

  // Restore: queued jobs re-enter their queues. A job held by a worker keeps its lease a while
  // after a clean stop (its worker re-attaches), else it expires: the first sweep requeues it.
  for (const { job, rank: stored } of store.activeJobs()) {
    const rank = storedRank(stored);
    const rows = store.eventsAfter(job.id, 0);
    const log = new EventLog(maxEvents, { lines: rows.map((r) => r.line), firstSeq: rows[0]?.seq ?? 1 });
    log.shed(maxEventBytes, log.lastSeq); // all of them are stored already
    if (isLeased(job.state)) job.lease_expires = stoppedCleanly ? Date.now() + (options.restoredLeaseMs ?? 30_000) : 0;
    // Counted against its caller's budget again (the same key the job service gives a submit).
    const key = budgetKey(job.owner);
    const budget = key === null ? undefined : budgetOf(job.space_id, key);
    if (budget !== undefined) owned.restore(budget, job.id);
    active.set(job.id, { job, rank, log, journaled: log.lastSeq, budget });
    index.added(job);
    idempotent.started(job);
    if (job.state === 'queued' && job.not_before !== undefined) queues.wait(job);
    else if (job.state === 'queued') queues.restore(job, rank);
  }

  const writes = new BufferedWrites(journal, applier, { flushMs: options.flushIntervalMs ?? 50, applyMs: options.applyIntervalMs ?? 1000 }, options.warn);
  const { dirty, unjournaled } = writes;
  const flush = () => writes.flush();

  const newJobs = new GroupCommit(journal);
  const copy = (job: Job): Job => ({ ...job });
  /** Every change of a job's state goes through core's state machine (a step outside it is a bug of ours, not input). */
  const moveTo = (a: ActiveJob, to: JobState) => {
    const from = a.job.state;
    if (!canTransition(from, to)) throw new Error(`job ${a.job.id}: ${from} → ${to} is not a step of the job state machine`);
    a.job.state = to;
    index.moved(a.job, from);
  };

  /** Appends an event to a job's log: numbered, kept, and (once the job is accepted) on its way to the journal. */
  function append(a: ActiveJob, event: JobEvent): string {
    const line = eventLine(a.job.id, a.log.nextSeq, event);
    a.log.append(line);
    if (a.journaled >= 0) unjournaled.add(a);
    if (a.log.bytes > maxEventBytes) shed(a);
    return line;
  }

  /** Appending publishes (ports/jobs.ts): an event is told the moment it is in the log, or durable where that is promised. */
  const publish = (a: ActiveJob, line: string) => bus.publishEvent(a.job.space_id, a.job.id, a.job.owner.id, line);

  /** A waiting job after a crash: a new epoch begins, with an event saying so, journaled with the job. */
  function newEpoch(a: ActiveJob, position: number): void {
    a.job.epoch = (a.job.epoch ?? 1) + 1;
    a.job.epoch_seq = a.log.nextSeq;
    const event: JobEvent = { type: 'queued', position, eta_ms: null, attempt: a.job.attempt, reason: 'gateway restarted', epoch: a.job.epoch };
    a.told = toldPosition(event);
    append(a, event);
    writes.journalEvents(a);
    writes.persist(a);
    a.journaled = a.log.lastSeq;
    unjournaled.delete(a);
  }

  /** A job's log past its memory: its events join the journal now, and the oldest pages go (see readEvents). */
  function shed(a: ActiveJob): void {
    if (a.journaled < 0) return; // not accepted yet: nothing of it is stored
    try {
      if (a.journaled < a.log.lastSeq) writes.journalPending();
    } catch (err) {
      writes.warnOnce('Buffered job events could not be written to the job journal; they are tried again', err);
    }
    a.log.shed(maxEventBytes, a.journaled);
  }

  /** Ends a job: state, outcome and its last events hit the disk in one transaction, and then it is told. */
  function finish(a: ActiveJob, event: JobEvent, result?: JobResult): void {
    const line = append(a, event);
    const job = a.job;
    if (job.state === 'queued') queues.remove(job.space_id, job.id);
    moveTo(a, FINAL_EVENT_STATE[event.type]!);
    job.finished_at = Date.now();
    // Cleared, not deleted: a delete turns the object into a slow dictionary, and this one is
    // serialised (the journal) and copied (reads) from here on.
    job.lease_expires = undefined;
    if (event.type === 'result') job.result = result ?? { data: event.data, files: [] };
    if (event.type === 'failed') job.error = { code: event.code, message: event.message };
    if (event.type === 'timed_out') job.error = { code: 'timed_out', message: event.message };
    if (event.type === 'cancelled') job.error = { code: 'cancelled', message: event.reason };
    dirty.delete(a);
    journal.commit(() => {
      writes.journalEvents(a);
      writes.persist(a);
    });
    a.journaled = a.log.lastSeq;
    unjournaled.delete(a);
    active.delete(job.id);
    idempotent.ended(job);
    unown(a);
    publish(a, line);
  }

  const holds = (a: ActiveJob | undefined, h: LeaseHolder): a is ActiveJob => !!a && isLeased(a.job.state) && a.job.worker_id === h.workerId && a.job.attempt === h.attempt;

  const { readStoredEvents, readShedEvents } = storedEventReads(store, flush);

  // Events not yet on disk when the last process died may be gone, and their numbers would be
  // given again. A job a worker held is requeued by the first sweep, which begins a new epoch; a
  // queued one begins it here, with an event that says so, durable before anything else runs.
  // Queue by queue, so each job's position is its index (one pass, however long the queues).
  const waitingIn = stoppedCleanly ? [] : [...new Set([...active.values()].filter((a) => a.job.state === 'queued').map((a) => a.job.space_id))];
  if (waitingIn.length > 0) journal.commit(() => waitingIn.forEach((spaceId) => queues.ids(spaceId).forEach((id, position) => newEpoch(active.get(id)!, position))));

  let closed = false;

  return {
    instanceId: newId('gw'),
    ...records,
    ...memoryRateWindows(),
    ...blobs,
    ...deliveries,

    async submitJob(job, maxQueue, firstEvent, announce, quota) {
      // Before the queue and the budget: a retry of an accepted job is answered even when the queue is full now.
      const made = job.idempotency && idempotent.find(job.idempotency.key);
      if (made) return { existing: made };
      if (queues.length(job.space_id) >= maxQueue) {
        throw new SpaceportError('queue_full', `Space "${job.space}" already has ${maxQueue} jobs waiting.`);
      }
      const budget = quota && budgetOf(job.space_id, quota.key);
      if (budget !== undefined && !owned.take(budget, job.id, quota!.max)) throw overBudget(`unfinished jobs in space "${job.space}"`, quota!.max);
      // Its place under the space's policy (core/queue-order.ts), which may be ahead of others.
      const a: ActiveJob = { job: copy(job), rank: 0, log: new EventLog(maxEvents), journaled: -1, budget };
      const { rank, position } = queues.enter(a.job);
      a.rank = rank;
      const first = firstEvent(position);
      a.told = toldPosition(first);
      const line = append(a, first);
      active.set(job.id, a);
      index.added(a.job);
      idempotent.started(job);
      // Claimable now (durable in a moment): every dispatcher hears of it.
      if (announce !== undefined && job.not_before === undefined) bus.publish(CHANNEL.control, announce);
      try {
        // The row and the events so far, in one commit; from then on the job's events are flushed like any.
        await newJobs.commit(() => {
          writes.persist(a);
          writes.journalEvents(a);
          // Unless it ended already, in a commit of its own.
          if (a.journaled < 0) a.journaled = a.log.lastSeq;
        });
      } catch (err) {
        // Not durable, so not accepted: it must not run either (a worker that took it meanwhile
        // has its events refused).
        if (a.job.state === 'queued') queues.remove(job.space_id, job.id);
        if (!isFinal(a.job.state)) index.removed(a.job);
        active.delete(job.id);
        idempotent.forget(job);
        unown(a);
        throw err;
      }
      // Told once durable: nobody hears of a job that could still be lost.
      publish(a, line);
      return { line, position };
    },

    claimJob(spaceIds, workerId, leaseMs) {
      const id = queues.takeHead(spaceIds);
      if (id === null) return null;
      const a = active.get(id)!;
      moveTo(a, 'assigned');
      a.job.attempt += 1;
      a.job.worker_id = workerId;
      a.job.lease_expires = Date.now() + leaseMs;
      a.job.attempt_seq = a.log.lastSeq;
      dirty.add(a);
      return copy(a.job);
    },

    async reattachJob(jobId, from, toWorkerId, leaseMs) {
      const a = active.get(jobId);
      if (!holds(a, from)) return null;
      a.job.worker_id = toWorkerId;
      a.job.lease_expires = Date.now() + leaseMs;
      dirty.add(a);
      return a.job.attempt_seq === undefined ? {} : { received: a.log.lastSeq - a.job.attempt_seq };
    },

    async renewLeases(workerId, jobIds, leaseMs) {
      const until = Date.now() + leaseMs;
      for (const id of jobIds) {
        const a = active.get(id);
        if (a && isLeased(a.job.state) && a.job.worker_id === workerId) a.job.lease_expires = until;
      }
    },

    tellPositions(spaceId, updates) {
      return updates.map(({ id, position, line }) => {
        const a = active.get(id);
        if (a?.job.state !== 'queued' || a.job.space_id !== spaceId || a.told === toldKey(a.job.attempt, position)) return false;
        a.told = toldKey(a.job.attempt, position);
        return (publish(a, line), true);
      });
    },

    appendEvent(job, event, holder, result) {
      const a = active.get(job.id);
      if (!a || (holder && !holds(a, holder))) return false;
      if (event.type in FINAL_EVENT_STATE) {
        finish(a, event, result);
        return true;
      }
      const line = append(a, event);
      if (event.type === 'started' && a.job.state === 'assigned') {
        moveTo(a, 'running');
        a.job.started_at = Date.now();
        dirty.add(a);
      }
      publish(a, line);
      return true;
    },

    async releaseJob(job, holder, requeued, exhausted, notBefore) {
      const a = active.get(job.id);
      if (!holds(a, holder)) return null;
      if (a.job.attempt >= a.job.max_attempts) {
        finish(a, exhausted);
        return { requeued: false };
      }
      moveTo(a, 'queued');
      // Cleared, not deleted (see finish).
      a.job.worker_id = undefined;
      a.job.lease_expires = undefined;
      a.job.started_at = undefined;
      // Back at the head of its priority, or first waiting out a backoff (promoteDue).
      if (notBefore === undefined) a.rank = queues.rejoin(a.job);
      else queues.wait(Object.assign(a.job, { not_before: notBefore }));
      // A new attempt begins a new epoch of the log, at this event.
      a.job.epoch = (a.job.epoch ?? 1) + 1;
      a.job.epoch_seq = a.log.nextSeq;
      const requeue: JobEvent = { ...requeued(notBefore === undefined ? queues.position(a.job.space_id, a.job.id) : 0), epoch: a.job.epoch } as JobEvent;
      const line = append(a, requeue);
      a.told = toldPosition(requeue);
      dirty.add(a);
      publish(a, line);
      return { requeued: true };
    },

    async promoteDue(now) {
      const out = [];
      for (const { id, spaceId, rank } of queues.due(now)) {
        const a = active.get(id)!;
        a.rank = rank;
        a.job.not_before = undefined;
        dirty.add(a);
        out.push({ spaceId, jobId: id });
      }
      return out;
    },

    async endJob(job, event) {
      const a = active.get(job.id);
      if (!a) return null;
      const before = copy(a.job);
      finish(a, event);
      return before;
    },

    async getJob(id) {
      const a = active.get(id);
      if (a) return copy(a.job);
      await flush();
      return store.getJob(id);
    },

    readEvents(jobId, afterSeq) {
      const a = active.get(jobId);
      // A job still running answers from memory, at once (unless the events asked for were let go
      // of to save memory: those come from SQLite); a finished one from SQLite.
      if (a && afterSeq + 1 >= a.log.firstSeq) return { lines: a.log.after(afterSeq), firstSeq: a.log.keptFrom, lastSeq: a.log.lastSeq, final: false, ...epochOf(a.job) };
      if (a) return readShedEvents(a, afterSeq);
      return readStoredEvents(jobId, afterSeq);
    },

    ...queues.reads(),

    async expiredLeases(now) {
      return index.expiredLeases(now).map((job) => ({ jobId: job.id, workerId: job.worker_id!, attempt: job.attempt }));
    },

    async overdueJobs(now, limit = Infinity) {
      return index.overdue(now, limit).map((id) => copy(active.get(id)!.job));
    },

    async countJobs() {
      return index.countJobs();
    },

    async listJobs(filter) {
      await flush();
      return store.listJobs(filter).map((j) => active.get(j.id)?.job ?? j);
    },

    async purgeFinishedBefore(before) {
      await flush();
      return purgeFinished(store, before, removeBlob, (rows) => (idempotent.purged(rows.map((r) => r.id)), index.purged(rows.map((r) => r.state))));
    },

    putWorker(info: WorkerInfo) {
      workers.set(info.id, { ...info });
    },
    async removeWorker(id) {
      workers.delete(id);
    },
    listWorkers() {
      return [...workers.values()];
    },

    publish: (channel, message) => bus.publish(channel, message),
    subscribe: (listener) => bus.subscribe(listener),

    async close() {
      if (closed) return;
      closed = true;
      writes.stop();
      newJobs.commitNow();
      // What SQLite could not take stays in the journal for the next start.
      const flushed = await flush().then(
        () => true,
        () => false,
      );
      bus.clear();
      closeBlobs();
      await closeStorage();
      if (flushed) markCleanStop(options.dataDir);
      unlock();
    },
  } satisfies Engine & ThisType<Engine>;
}
