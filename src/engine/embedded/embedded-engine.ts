import { mkdirSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventLog } from '../../core/event-log.ts';
import { FINAL_EVENT_STATE, eventLine, toldPosition, type JobEvent } from '../../protocol/job-events.ts';
import { budgetKey, overBudget } from '../../core/budgets.ts';
import { isLeased } from '../../core/job-state.ts';
import { newId } from '../../core/ids.ts';
import type { Job, JobResult, JobState, Session, WorkerInfo } from '../../core/types.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import type { Appended, BlobMeta, CredentialKind, CredentialRecord, Engine, EngineOptions, EventRange, LeaseHolder } from '../../core/engine-port.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { LocalBus } from './local-bus.ts';
import { OwnedJobs, budgetOf } from './owned-jobs.ts';
import { SpaceQueues } from './space-queues.ts';
import { GroupCommit } from './group-commit.ts';
import { JobJournal } from './job-journal.ts';
import { jobRow } from './journal-records.ts';
import { applySegment } from './journal-segment.ts';
import { SegmentApplier } from './segment-applier.ts';
import { LiveBlobs } from './live-blobs.ts';
import { RecentBlobs } from './recent-blobs.ts';
import { SqliteStore } from './sqlite-store.ts';
import { UploadLedger } from './upload-ledger.ts';

export interface EmbeddedEngineOptions extends EngineOptions {
  /** Directory holding spaceport.db and blobs/. Created if missing. */
  dataDir: string;
  /** How often buffered (non-final) events and job states join the job journal. @default 50 */
  flushIntervalMs?: number;
  /**
   * How often the journal's segment goes to SQLite (and whenever a read needs SQLite). Each time
   * wakes the store's process for a transaction: every 50 ms, that work on the machine's other core
   * showed in the dispatch round trip's p99 (docs/benchmarks.md). @default 1000
   */
  applyIntervalMs?: number;
  /**
   * Run the store's own process (store-process.ts), which applies the journal's segments to SQLite
   * and checkpoints the WAL this often, off the event loop. 0: both happen here (segments at each
   * flush, the checkpoint inside SQLite's commits). @default 0
   */
  checkpointIntervalMs?: number;
  /** Memory for the bytes of stored blobs not yet read, so a fetch right after a result skips the disk. @default 64 MiB */
  recentBlobBytes?: number;
  /** Memory for the files of partial events (live media), newest kept. @default 64 MiB */
  liveMediaBytes?: number;
  /**
   * Memory for one running job's event log. Past it the oldest events, once in the journal, are
   * let go and read back from SQLite when a client resumes from before them. @default 8 MiB
   */
  maxEventBytesPerJob?: number;
  /** Told of trouble in the background (the journal not reaching SQLite). */
  warn?: (message: string) => void;
}

interface ActiveJob {
  job: Job;
  rank: number;
  log: EventLog;
  /** The last seq of its log that is in the journal; -1 until the job's first commit (see submitJob). */
  journaled: number;
  /** `<attempt>:<position>` of its last queued event, so a position update that repeats it is skipped. */
  told?: string;
  /** The budget it counts against until it ends (owned-jobs.ts), if any. */
  budget?: string;
}

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
  const dbFile = join(options.dataDir, 'spaceport.db');
  const store = new SqliteStore(dbFile);
  const journalDir = join(options.dataDir, 'journal');
  // Segments a process that died left behind reach SQLite, in order, before anything is read from it.
  for (const file of JobJournal.segments(journalDir)) applySegment({ file }, store);
  // With the store's own process, segments are read from their files there: nothing to keep here.
  const journal = new JobJournal(journalDir, !options.checkpointIntervalMs);
  const applier = new SegmentApplier(store, dbFile, options.checkpointIntervalMs ?? 0, () => store.autoCheckpoint(1000));
  if (options.checkpointIntervalMs) store.autoCheckpoint(0);

  const blobPath = (id: string) => join(options.dataDir, 'blobs', id);
  const recentBlobs = new RecentBlobs(options.recentBlobBytes ?? 64 * 1024 * 1024);
  const liveBlobs = new LiveBlobs(options.liveMediaBytes ?? 64 * 1024 * 1024, options.liveMediaMs ?? 60_000);
  const removeBlob = async (id: string) => {
    recentBlobs.delete(id);
    await unlink(blobPath(id)).catch(() => {});
  };
  const uploads = new UploadLedger();
  for (const meta of store.unclaimedBlobs()) uploads.add(meta);
  const maxEvents = options.maxEventsPerJob ?? 10_000;
  const maxEventBytes = options.maxEventBytesPerJob ?? 8 * 1024 * 1024;
  const bus = new LocalBus();

  const spaces = new Map(store.allSpaces().map((s) => [s.id, s]));
  const sessions = new Map(store.allSessions().map((s) => [s.id, s]));
  const users = new Map(store.allUsers().map((u) => [u.id, u]));
  const credentials = new Map(store.allCredentials().map((c) => [c.id, c]));
  const workers = new Map<string, WorkerInfo>();
  const active = new Map<string, ActiveJob>();
  const queues = new SpaceQueues(store.maxRank());
  const owned = new OwnedJobs();
  /** The job no longer counts against its caller's budget (it ended, or was never accepted). */
  const unown = (a: ActiveJob) => {
    if (a.budget !== undefined) owned.release(a.budget, a.job.id);
  };

  // Restore: queued jobs re-enter their queues; jobs that were held by a worker get an expired
  // lease, so the ordinary lease sweep requeues them (counting the attempt) on the first tick.
  for (const { job, rank } of store.activeJobs()) {
    const rows = store.eventsAfter(job.id, 0);
    const log = new EventLog(maxEvents, { lines: rows.map((r) => r.line), firstSeq: rows[0]?.seq ?? 1 });
    log.shed(maxEventBytes, log.lastSeq); // all of them are stored already
    if (isLeased(job.state)) job.lease_expires = 0;
    // Counted against its caller's budget again (the same key the job service gives a submit).
    const key = budgetKey(job.owner);
    const budget = key === null ? undefined : budgetOf(job.space_id, key);
    if (budget !== undefined) owned.restore(budget, job.id);
    active.set(job.id, { job, rank, log, journaled: log.lastSeq, budget });
    if (job.state === 'queued') queues.insert(job.space_id, job.id, rank);
  }

  /** Jobs whose in-between state changes are not on disk yet. */
  const dirty = new Set<ActiveJob>();
  /** Accepted jobs with events not in the journal yet (a job's first commit, in submitJob, takes all it has by then). */
  const unjournaled = new Set<ActiveJob>();
  /** A job's events since its last commit, straight from its log, and the trim of those the log let go. */
  const journalEvents = (a: ActiveJob) => {
    for (const run of a.log.runs(Math.max(a.journaled, 0) + 1)) journal.putRun(a.job.id, run.firstSeq, run.count, run.bytes);
    // What the log forgot (its count bound), not what it let go of to save memory: that is stored.
    if (a.log.keptFrom > 1) journal.trimEvents(a.job.id, a.log.keptFrom);
  };
  /** Buffered job states and events, into the journal's commit being gathered. */
  const writePending = () => {
    for (const a of dirty) {
      // A job whose row cannot be written (nothing the edge lets in should do that) is left out
      // and reported, not retried forever in front of every other job's writes.
      const err = journal.attempt(() => persist(a));
      if (err !== undefined) {
        dirty.delete(a);
        options.warn?.(`Job ${a.job.id} could not be written to the job journal: ${(err as Error).message}`);
      }
    }
    for (const a of unjournaled) journalEvents(a);
  };
  /** After the commit of writePending is on disk (it throws otherwise, and all is tried again next time). */
  const pendingWritten = () => {
    dirty.clear();
    for (const a of unjournaled) a.journaled = a.log.lastSeq;
    unjournaled.clear();
  };
  /** The buffered writes join the journal (on a timer, and before a segment is handed over). */
  const journalPending = () => {
    if (unjournaled.size === 0 && dirty.size === 0) return;
    journal.commit(writePending);
    pendingWritten();
  };
  /** SQLite has everything journaled so far once this settles. */
  let applied: Promise<void> = Promise.resolve();
  /**
   * The buffered writes join the journal, and its segment goes to SQLite. Resolves once SQLite
   * has everything written so far. Runs on a timer, and before anything is read from SQLite or
   * deleted there.
   */
  const flush = async (): Promise<void> => {
    journalPending();
    const segment = journal.rotate();
    // With nothing new, what was handed over last may still be on its way to SQLite.
    if (segment) applied = applier.apply(segment);
    else if (applier.blocked) applied = applier.retry();
    return applied;
  };
  let lastWarned = 0;
  const warnOnce = (what: string, err: unknown) => {
    // Once a failure starts, and then every 10 s while it lasts (it is tried each time).
    if (Date.now() - lastWarned < 10_000) return;
    lastWarned = Date.now();
    options.warn?.(`${what}: ${(err as Error).message}`);
  };
  const journalTimer = setInterval(() => {
    try {
      journalPending();
    } catch (err) {
      warnOnce('Buffered job events could not be written to the job journal; they are tried again', err);
    }
  }, options.flushIntervalMs ?? 50);
  journalTimer.unref();
  const applyTimer = setInterval(() => {
    flush().catch((err) => warnOnce('The job journal could not be applied to SQLite; it stays on disk and is tried again', err));
  }, options.applyIntervalMs ?? 1000);
  applyTimer.unref();

  const persist = (a: ActiveJob) => journal.putJobRow(jobRow(a.job, a.rank));
  const newJobs = new GroupCommit(journal);
  const copy = (job: Job): Job => ({ ...job });

  function append(a: ActiveJob, event: JobEvent): Appended {
    const seq = a.log.nextSeq;
    const line = eventLine(a.job.id, seq, event);
    a.log.append(line);
    if (a.journaled >= 0) unjournaled.add(a);
    if (a.log.bytes > maxEventBytes) shed(a);
    return { seq, line };
  }

  /** A job's log past its memory: its events join the journal now, and the oldest pages go (see readEvents). */
  function shed(a: ActiveJob): void {
    if (a.journaled < 0) return; // not accepted yet: nothing of it is stored
    try {
      if (a.journaled < a.log.lastSeq) journalPending();
    } catch (err) {
      warnOnce('Buffered job events could not be written to the job journal; they are tried again', err);
    }
    a.log.shed(maxEventBytes, a.journaled);
  }

  /** Ends a job: state, outcome and its last events hit the disk in one transaction. */
  function finish(a: ActiveJob, event: JobEvent, result?: JobResult): Appended {
    const appended = append(a, event);
    const job = a.job;
    if (job.state === 'queued') queues.remove(job.space_id, job.id);
    job.state = FINAL_EVENT_STATE[event.type]!;
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
      journalEvents(a);
      persist(a);
    });
    a.journaled = a.log.lastSeq;
    unjournaled.delete(a);
    active.delete(job.id);
    unown(a);
    return appended;
  }

  const holds = (a: ActiveJob | undefined, h: LeaseHolder): a is ActiveJob =>
    !!a && isLeased(a.job.state) && a.job.worker_id === h.workerId && a.job.attempt === h.attempt;

  /** A finished job's events, from SQLite once everything journaled has reached it. */
  async function readStoredEvents(jobId: string, afterSeq: number): Promise<EventRange | null> {
    await flush();
    if (!store.getJob(jobId)) return null;
    const rows = store.eventsAfter(jobId, afterSeq);
    const firstSeq = store.firstSeq(jobId) ?? 1;
    const lastSeq = rows.length ? rows[rows.length - 1]!.seq : Math.max(afterSeq, firstSeq - 1);
    return { lines: rows.map((r) => r.line), firstSeq, lastSeq, final: true };
  }

  /** A running job's events from before the ones it holds in memory: SQLite's, then memory's after them. */
  async function readShedEvents(a: ActiveJob, afterSeq: number): Promise<EventRange> {
    await flush();
    const rows = store.eventsAfter(a.job.id, afterSeq);
    const storedThrough = rows.length ? rows[rows.length - 1]!.seq : afterSeq;
    const lines = rows.map((r) => r.line);
    for (const line of a.log.after(Math.max(storedThrough, a.log.firstSeq - 1))) lines.push(line);
    return { lines, firstSeq: store.firstSeq(a.job.id) ?? a.log.keptFrom, lastSeq: a.log.lastSeq, final: false };
  }

  let closed = false;

  return {
    instanceId: newId('gw'),

    async listSpaces() {
      return [...spaces.values()].sort((a, b) => a.name.localeCompare(b.name));
    },
    getSpace(name) {
      for (const s of spaces.values()) if (s.name === name) return s;
      return null;
    },
    async getSpaceById(id) {
      return spaces.get(id) ?? null;
    },
    async createSpace(space) {
      if (await this.getSpace(space.name)) throw new SpaceportError('space_exists', `A space named "${space.name}" already exists.`);
      store.putSpace(space);
      spaces.set(space.id, space);
    },
    async updateSpace(space) {
      const other = await this.getSpace(space.name);
      if (other && other.id !== space.id) throw new SpaceportError('space_exists', `A space named "${space.name}" already exists.`);
      store.putSpace(space);
      spaces.set(space.id, space);
    },
    async deleteSpace(id) {
      store.deleteSpace(id);
      spaces.delete(id);
      queues.dropSpace(id);
      for (const [cid, c] of credentials) if (c.space_id === id) credentials.delete(cid);
    },

    async createCredential(record) {
      store.putCredential(record);
      credentials.set(record.id, record);
    },
    async listCredentials(kind: CredentialKind, spaceId?: string) {
      return [...credentials.values()].filter((c) => c.kind === kind && (spaceId === undefined || c.space_id === spaceId));
    },
    async findCredential(hash) {
      for (const c of credentials.values()) if (c.hash === hash && c.revoked_at === null) return c;
      return null;
    },
    async revokeCredential(id) {
      const c = credentials.get(id);
      if (!c || c.revoked_at !== null) return false;
      const revoked: CredentialRecord = { ...c, revoked_at: Date.now() };
      store.putCredential(revoked);
      credentials.set(id, revoked);
      return true;
    },

    async submitJob(job, maxQueue, firstEvent, onQueued, quota) {
      if (queues.length(job.space_id) >= maxQueue) {
        throw new SpaceportError('queue_full', `Space "${job.space}" already has ${maxQueue} jobs waiting.`);
      }
      const budget = quota && budgetOf(job.space_id, quota.key);
      if (budget !== undefined && !owned.take(budget, job.id, quota!.max)) throw overBudget(`unfinished jobs in space "${job.space}"`, quota!.max);
      const position = queues.length(job.space_id);
      const first = firstEvent(position);
      const a: ActiveJob = { job: copy(job), rank: queues.nextTailRank(), log: new EventLog(maxEvents), journaled: -1, told: toldPosition(first), budget };
      const appended = append(a, first);
      active.set(job.id, a);
      queues.insert(job.space_id, job.id, a.rank);
      onQueued?.();
      try {
        // The row and the events so far, in one commit; from then on the job's events are flushed like any.
        await newJobs.commit(() => {
          persist(a);
          journalEvents(a);
          // Unless it ended already, in a commit of its own.
          if (a.journaled < 0) a.journaled = a.log.lastSeq;
        });
      } catch (err) {
        // Not durable, so not accepted: it must not run either (a worker that took it meanwhile
        // has its events refused).
        if (a.job.state === 'queued') queues.remove(job.space_id, job.id);
        active.delete(job.id);
        unown(a);
        throw err;
      }
      return { ...appended, position };
    },

    claimJob(spaceIds, workerId, leaseMs) {
      const id = queues.takeHead(spaceIds);
      if (id === null) return null;
      const a = active.get(id)!;
      a.job.state = 'assigned';
      a.job.attempt += 1;
      a.job.worker_id = workerId;
      a.job.lease_expires = Date.now() + leaseMs;
      dirty.add(a);
      return copy(a.job);
    },

    async renewLeases(workerId, jobIds, leaseMs) {
      const until = Date.now() + leaseMs;
      for (const id of jobIds) {
        const a = active.get(id);
        if (a && isLeased(a.job.state) && a.job.worker_id === workerId) a.job.lease_expires = until;
      }
    },

    appendEvent(jobId, event, holder, result) {
      const a = active.get(jobId);
      if (!a || (holder && !holds(a, holder))) return null;
      if (event.type in FINAL_EVENT_STATE) return finish(a, event, result);
      const told = holder ? undefined : toldPosition(event); // a position update
      if (told !== undefined) {
        if (a.job.state !== 'queued' || a.told === told) return null;
        a.told = told;
      }
      const appended = append(a, event);
      if (event.type === 'started' && a.job.state === 'assigned') {
        a.job.state = 'running';
        a.job.started_at = Date.now();
        dirty.add(a);
      }
      return appended;
    },

    async releaseJob(jobId, holder, requeued, exhausted) {
      const a = active.get(jobId);
      if (!holds(a, holder)) return null;
      if (a.job.attempt >= a.job.max_attempts) return { ...finish(a, exhausted), requeued: false };
      a.job.state = 'queued';
      // Cleared, not deleted (see finish).
      a.job.worker_id = undefined;
      a.job.lease_expires = undefined;
      a.job.started_at = undefined;
      a.rank = queues.nextHeadRank();
      queues.insert(a.job.space_id, a.job.id, a.rank);
      const requeue = requeued(0);
      const appended = append(a, requeue);
      a.told = toldPosition(requeue);
      dirty.add(a);
      return { ...appended, requeued: true };
    },

    async endJob(jobId, event) {
      const a = active.get(jobId);
      if (!a) return null;
      const before = copy(a.job);
      return { before, appended: finish(a, event) };
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
      if (a && afterSeq + 1 >= a.log.firstSeq) return { lines: a.log.after(afterSeq), firstSeq: a.log.keptFrom, lastSeq: a.log.lastSeq, final: false };
      if (a) return readShedEvents(a, afterSeq);
      return readStoredEvents(jobId, afterSeq);
    },

    async queuedJobIds(spaceId) {
      return queues.ids(spaceId);
    },

    async expiredLeases(now) {
      const out: Array<{ jobId: string } & LeaseHolder> = [];
      for (const { job } of active.values()) {
        if (isLeased(job.state) && (job.lease_expires ?? 0) <= now) out.push({ jobId: job.id, workerId: job.worker_id!, attempt: job.attempt });
      }
      return out;
    },

    async overdueJobs(now) {
      return [...active.values()].filter((a) => a.job.deadline <= now).map((a) => copy(a.job));
    },

    async countJobs() {
      await flush(); // SQLite holds the finished jobs
      const counts: Record<JobState, number> = { queued: 0, assigned: 0, running: 0, completed: 0, failed: 0, cancelled: 0, timed_out: 0 };
      for (const { job } of active.values()) counts[job.state] += 1;
      for (const { state, n } of store.countFinal()) counts[state as JobState] = n;
      return counts;
    },

    async listJobs({ spaceId, state, limit }) {
      await flush();
      return store.listJobs(spaceId ?? null, state ?? null, limit).map((j) => active.get(j.id)?.job ?? j);
    },

    async purgeFinishedBefore(before) {
      await flush();
      const ids = store.finishedBefore(before);
      for (const id of ids) {
        for (const blob of store.deleteJob(id)) await removeBlob(blob);
      }
      return ids.length;
    },

    async createUser(user) {
      if (await this.findUser(user.username)) throw new SpaceportError('user_exists', `A user named "${user.username}" already exists.`);
      store.putUser(user);
      users.set(user.id, { ...user });
    },
    async getUser(id) {
      const u = users.get(id);
      return u ? { ...u } : null;
    },
    async findUser(username) {
      const wanted = username.toLowerCase();
      for (const u of users.values()) if (u.username.toLowerCase() === wanted) return { ...u };
      return null;
    },
    async listUsers() {
      return [...users.values()].map((u) => ({ ...u })).sort((a, b) => a.username.localeCompare(b.username));
    },
    async updateUser(user) {
      const other = await this.findUser(user.username);
      if (other && other.id !== user.id) throw new SpaceportError('user_exists', `A user named "${user.username}" already exists.`);
      store.putUser(user);
      users.set(user.id, { ...user });
    },
    async deleteUser(id) {
      if (!users.delete(id)) return false;
      store.deleteUser(id);
      for (const c of credentials.values()) if (c.user_id === id && c.revoked_at === null) await this.revokeCredential(c.id);
      return true;
    },

    async createSession(session) {
      const stored: Session = { ...session, images: [], job_ids: [] };
      store.putSession(stored);
      sessions.set(session.id, stored);
    },
    async getSession(id) {
      const s = sessions.get(id);
      return s ? structuredClone(s) : null;
    },
    async listSessions() {
      return [...sessions.values()].map((s) => structuredClone(s));
    },
    async addSessionImage(id, image, now) {
      const s = sessions.get(id);
      if (!s || s.expires_at <= now) throw new SpaceportError('session_not_found', `No session has id "${id}".`);
      if (s.status !== 'open') throw new SpaceportError('session_closed');
      if (s.images.length >= s.max_images) throw new SpaceportError('session_full', `Session ${id} already has ${s.max_images} images.`);
      s.images.push(image);
      store.putSession(s);
      return s.images.length;
    },
    async updateSession(id, patch) {
      const s = sessions.get(id);
      if (!s) throw new SpaceportError('session_not_found', `No session has id "${id}".`);
      if (patch.status) s.status = patch.status;
      if (patch.generated_through !== undefined) s.generated_through = patch.generated_through;
      if (patch.job_id) s.job_ids.push(patch.job_id);
      store.putSession(s);
    },
    async deleteSession(id) {
      if (!sessions.delete(id)) return false;
      for (const blob of store.deleteSession(id)) await removeBlob(blob);
      return true;
    },
    async purgeExpiredSessions(now) {
      let n = 0;
      for (const s of [...sessions.values()]) if (s.expires_at <= now && (await this.deleteSession(s.id))) n++;
      return n;
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

    async putBlob(meta: BlobMeta, bytes: Buffer) {
      // Write then rename, so a crash never leaves a half-written blob under its id.
      const tmp = `${blobPath(meta.id)}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, blobPath(meta.id));
      store.putBlob(meta);
      recentBlobs.put(meta.id, bytes);
    },
    async putUpload(meta: BlobMeta, file: string) {
      // The upload was streamed to a file in the data directory: moved in, never read into memory.
      await rename(file, blobPath(meta.id));
      store.putBlob(meta);
      uploads.add(meta);
    },
    async claimUpload(id, jobId) {
      if (!uploads.remove(id)) return;
      const meta = store.getBlob(id);
      if (meta && meta.job_id === null) store.putBlob({ ...meta, job_id: jobId });
    },
    async uploadedBytes(owner) {
      return uploads.bytes(owner);
    },
    async purgeUploadsBefore(before) {
      const ids = uploads.storedBefore(before);
      for (const id of ids) {
        uploads.remove(id);
        store.deleteBlob(id);
        await removeBlob(id);
      }
      return ids.length;
    },
    async putLiveBlob(meta: BlobMeta, bytes: Buffer) {
      liveBlobs.put(meta, bytes);
    },
    reserveLiveBlob: (size) => liveBlobs.reserve(size),
    lendLiveBlob: (id) => liveBlobs.lend(id),
    async getBlob(id) {
      const live = liveBlobs.get(id);
      if (live) return live;
      const meta = store.getBlob(id);
      if (!meta) return null;
      const bytes = recentBlobs.take(id) ?? (await readFile(blobPath(id)).catch(() => null));
      return bytes ? { meta, bytes } : null;
    },

    publish: (channel, message) => bus.publish(channel, message),
    publishEvent: (spaceId, jobId, ownerId, line) => bus.publishEvent(spaceId, jobId, ownerId, line),
    subscribe: (listener) => bus.subscribe(listener),

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(journalTimer);
      clearInterval(applyTimer);
      newJobs.commitNow();
      await flush().catch(() => {}); // what SQLite could not take stays in the journal for the next start
      bus.clear();
      liveBlobs.close();
      await applier.stop();
      journal.close();
      store.close();
      unlock();
    },
  } satisfies Engine & ThisType<Engine>;
}

