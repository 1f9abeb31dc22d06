import type { JobEvent } from '../../protocol/job-events.ts';
import type { Now } from '../now.ts';
import type { Job, JobResult, JobState } from '../types.ts';

/** What appending and publishing a job's event needs to know of the job. */
export interface JobRef {
  id: string;
  spaceId: string;
  ownerId: string;
}

export interface LeaseHolder {
  workerId: string;
  attempt: number;
}

/** Where a worker's next job may come from (JobStore.finishAndClaim): its spaces, and the lease it gets. */
export interface NextClaim {
  spaceIds: string[];
  leaseMs: number;
}

/**
 * A claim that found every queue of its worker empty and left the slot parked in them
 * (JobStore.claimOrPark): the slot stays taken, waiting for its job.
 */
export interface ParkedClaim {
  /** The job assigned to the slot when one joins its queues; null once it was withdrawn first (unpark) or lost. */
  assigned: Promise<Job | null>;
}

export const isParked = (claim: Job | ParkedClaim | null): claim is ParkedClaim => claim !== null && 'assigned' in claim && claim.assigned instanceof Promise;

/** A budget on a submit: at most `max` unfinished jobs of the space under `key` (core/budgets.ts). */
export interface JobQuota {
  key: string;
  max: number;
}

/**
 * A queue's length and how often it has moved: each departure (a job taken, cancelled or timed out)
 * moved every job behind it one place forward, each insertion ahead of the tail (a requeue, a
 * higher priority, a fair-share newcomer) one place back. Counted since the engine started, so a
 * reader that saw the counts before knows by how much any position can have changed since
 * (core/queue-monitor.ts).
 */
export interface QueueState extends QueueMoves {
  length: number;
}

/** A queued job's new place, and the line that tells it (positionLine): JobStore.tellPositions. */
export interface PositionUpdate {
  id: string;
  position: number;
  line: string;
}

/** A queue's movement counts (QueueState's, without its length). */
export interface QueueMoves {
  departures: number;
  insertionsAhead: number;
}

export interface EventRange {
  lines: string[];
  /** Oldest seq still kept (events before it were trimmed by the log bound). */
  firstSeq: number;
  /** Newest seq appended so far (0 when the log is empty). */
  lastSeq: number;
  /** The job has reached a final state: no event will follow lastSeq. */
  final: boolean;
  /** The log's current epoch (Job.epoch): a client that followed another one cannot continue by seq. */
  epoch: number;
  /** The seq the current epoch began at: a replay of the current attempt starts there. */
  epochSeq: number;
}

/**
 * The jobs port: queues, leases, the state machine (core/job-state.ts) and each job's numbered
 * event log. **Appending an event publishes it**: every member that appends (submitJob,
 * appendEvent, releaseJob, endJob) MUST broadcast the event line on the bus (ports/bus.ts,
 * BusListener.jobEvent) as part of the same step — never an event published that was not
 * appended, never one appended that is not published unless the process dies in between — and
 * in seq order per job. The core never publishes a job event itself.
 *
 * "A value or a promise" (Now) is allowed here and only here: the embedded engine answers the
 * hot-path members at once, so a token or a dispatch costs no turn of the event loop.
 */
export interface JobFilter {
  spaceId?: string | undefined;
  state?: JobState | undefined;
  ownerId?: string | undefined;
  before?: string | undefined;
  limit: number;
}

/** What submitJob did: queued the job at `position` (its first event `line`), or found the job its idempotency key names. */
export type Submitted = { position: number; line: string } | { existing: string };

export interface JobStore {
  /**
   * Persists a new queued job at the tail of its space's queue and appends its first event (built
   * from the job's position; seq 1). MUST throw SpaceportError('queue_full') when the space already
   * has `maxQueue` queued jobs. MUST be durable before it resolves: an accepted job is never lost;
   * the first event is published once it is. `announce` (a control line, core/topics.ts) MUST be
   * published on the control channel in the step that makes the job claimable — which may be
   * before it is durable (so a worker can start on it while the write completes), and under Redis
   * is the script's own PUBLISH, so no instance waits for a second round trip to hear of it; a job
   * waiting for its `not_before` is not announced (it is when it joins its queue), nor is a submit
   * refused (queue_full, quota_exceeded: those refusals come before the job is claimable). An engine
   * whose idle slots park (claimOrPark) need not announce a job joining a queue that already holds
   * one: each idle slot of the space then is claiming, or parked and handed one of those jobs; one
   * whose claim failed is kicked by the next sweep (core/sweeper.ts). With
   * `quota`, MUST also throw SpaceportError('quota_exceeded') — atomically with the insert, on every
   * instance — when `quota.max` unfinished jobs of the space already carry `quota.key`.
   * With `job.idempotency`, when a job submitted with the same `idempotency.key` is still kept (not
   * purged), MUST insert nothing and answer `{ existing: its id }` — checked and claimed atomically
   * with the insert, on every instance, so two submits with one key at once make one job.
   */
  submitJob(job: Job, maxQueue: number, firstEvent: (position: number) => JobEvent, announce?: string, quota?: JobQuota): Promise<Submitted>;
  /**
   * Atomically takes the job at the head of the oldest-headed queue among `spaceIds`, sets it
   * `assigned` to `workerId` with attempt+1 and a lease until now+leaseMs, and returns it. MUST NOT
   * hand one job to two claims. Null when every queue is empty. May answer at once.
   */
  claimJob(spaceIds: string[], workerId: string, leaseMs: number): Now<Job | null>;
  /**
   * claimJob that, finding every queue empty, parks the slot in the queues of `spaceIds`: the next
   * job to join one (a submit, a requeue, a retry or delayed job due) is assigned to it as claimJob
   * would, in the step that queues it, instead of being announced — and in order: a parked slot
   * never waits while a queue of its spaces has a job. Optional: for engines where a claim is a
   * round trip (Redis), where it saves the announcement's claim between a job and an idle worker.
   */
  claimOrPark?(spaceIds: string[], workerId: string, leaseMs: number): Promise<Job | ParkedClaim | null>;
  /** Withdraws the worker's parked slots (it left, drains, went silent): each one's `assigned` is then null, or the job assigned before the withdrawal. */
  unpark?(workerId: string): Promise<void>;
  /** Extends the leases of these jobs while `workerId` still holds them; silently skips others. */
  renewLeases(workerId: string, jobIds: string[], leaseMs: number): Promise<void>;
  /**
   * A worker that reconnected takes back a job it still runs: while `from` still holds it (that
   * worker, that attempt), the lease passes to `toWorkerId` for leaseMs more — the same attempt,
   * its log going on with the next seq — and the answer says how many events of this attempt the
   * log has (`received`: the worker's messages that were appended, so it sends again only those
   * after; absent for an attempt claimed before engines counted). Null (and nothing changed)
   * otherwise. From then on `from`'s events are refused: one still on its way is not appended
   * after the count was taken.
   */
  reattachJob(jobId: string, from: LeaseHolder, toWorkerId: string, leaseMs: number): Promise<{ received?: number } | null>;
  /**
   * Appends an event to a job's log and publishes it; true when it was. With `holder`, MUST refuse
   * (false) unless that worker still holds that attempt (a stale worker's events never reach a
   * client). MUST refuse once the job is final. `started` moves assigned → running; a final event
   * (FINAL_EVENT_STATE) ends the job, records `result` or the error, and releases the lease.
   * Events appended without waiting for each other keep their order. May answer at once.
   */
  appendEvent(job: JobRef, event: JobEvent, holder?: LeaseHolder, result?: JobResult): Now<boolean>;
  /**
   * A holder's final event, appended as appendEvent does it, and — when it was — the holder's next
   * job claimed as claimJob(next.spaceIds, holder.workerId, next.leaseMs) would, in the same step:
   * the slot the job frees is filled without a claim of its own. `kept` false: nothing appended,
   * nothing claimed; `next` null: every queue was empty — or, where the engine parks slots
   * (claimOrPark), the slot parked. Optional: for engines where a claim is a round trip (Redis);
   * without it the dispatcher claims after the event.
   */
  finishAndClaim?(job: JobRef, event: JobEvent, holder: LeaseHolder, result: JobResult | undefined, next: NextClaim): Promise<{ kept: boolean; next: Job | ParkedClaim | null }>;
  /**
   * Publishes each update's `line`, a queued job's new position (protocol/job-events.ts
   * positionLine), to the job's subscribers as its events are — but not into its log: live state,
   * not history. MUST refuse an update (false at its index) unless the job is still queued in
   * `spaceId`'s queue, and when its current attempt was last told this `position` (by its submit,
   * its requeue or an earlier update, from any instance), so each change reaches clients once. The
   * engine finds each job's owner, whom the published event names, itself: the caller need not read
   * the jobs first. A refresh's updates go together — one step (one round trip under Redis) for
   * many, not one each. May answer at once.
   */
  tellPositions(spaceId: string, updates: PositionUpdate[]): Now<boolean[]>;
  /**
   * Where several instances watch one queue (each refreshes it when its own submits or results
   * change it), the moves up to a QueueState's counts are worked out and told by one of them: the
   * first to ask for counts ahead of those already claimed gets the counts the moves were told up
   * to before (`toldUpTo`, absent the first time: from there it works out what moved), the others
   * null — they skip them. At most one claim per `everyMs` for a queue, whichever instance makes
   * it: one asking sooner is answered `'later'`, claims nothing and looks again after its own
   * interval — so a client is told at most once an interval however many instances watch its
   * queue. Without it every instance would tell every move (a refused update each). `part` names
   * the part of the queue claimed (queue-monitor.ts: the head and the rest, each on its own cadence):
   * each part's claims are kept apart. Optional: one instance needs none.
   */
  claimPositionTelling?(spaceId: string, departures: number, insertionsAhead: number, everyMs: number, part: string): Promise<{ toldUpTo?: QueueMoves } | 'later' | null>;
  /**
   * The holder lost the job (disconnect, missed heartbeats, gateway restart). If attempts remain the
   * job goes back to the HEAD of its queue and `requeued(position)` is appended, beginning a new
   * epoch: the event MUST carry the new epoch, greater than every earlier one of the job, and
   * readEvents' `epochSeq` MUST be its seq. Otherwise the job fails with `exhausted`. Null if the
   * holder no longer held it. With `notBefore`, the job waits until then (promoteDue) instead of
   * joining its queue at once.
   */
  releaseJob(job: JobRef, holder: LeaseHolder, requeued: (position: number) => JobEvent, exhausted: JobEvent, notBefore?: number): Promise<{ requeued: boolean } | null>;
  /**
   * Jobs released with `notBefore` (a retry after a backoff) wait outside their queue — still
   * `queued`, not claimable, not counted in positions — until then: this puts those due at `now`
   * at the head of their priority in their queue (as a requeue; a delayed submit as a new job
   * would) and answers them.
   */
  promoteDue(now: number): Promise<Array<{ spaceId: string; jobId: string }>>;
  /**
   * Ends a non-final job with `event` (cancelled or timed_out), removing it from its queue. Returns
   * the job as it was before (so the caller can tell its worker), or null if already final.
   */
  endJob(job: JobRef, event: JobEvent): Promise<Job | null>;
  getJob(id: string): Promise<Job | null>;
  /**
   * Events with seq > afterSeq, in order; `firstSeq` is the oldest seq still kept. Null for an
   * unknown job. May answer at once.
   */
  readEvents(jobId: string, afterSeq: number): Now<EventRange | null>;
  /** Queued job ids of a space, head first: those at positions `start` (default 0) up to `end` (not included; default all), in O(log n + returned). */
  queuedJobIds(spaceId: string, start?: number, end?: number): Promise<string[]>;
  /** A queued job's position (0: the head), or -1 if it is not in the space's queue; O(log n). */
  queuePosition(spaceId: string, jobId: string): Promise<number>;
  /** The queue's length and movement counts, O(1). */
  queueState(spaceId: string): Promise<QueueState>;
  /** Leases expired at `now`, for the sweeper to release. */
  expiredLeases(now: number): Promise<Array<{ jobId: string } & LeaseHolder>>;
  /** Non-final jobs whose deadline is at or before `now`, earliest first, at most `limit` (default all); O(log n + returned). */
  overdueJobs(now: number, limit?: number): Promise<Job[]>;
  /** How many jobs are kept in each state. */
  countJobs(): Promise<Record<JobState, number>>;
  /**
   * Newest first — by id, which the core makes time-ordered — at most `limit`. `before`: only jobs
   * whose id sorts before it (the cursor of the next page: the last id of this one). With `ownerId`,
   * MUST be served by an index of that owner's jobs, so a caller's history costs what it holds,
   * not what everyone submitted.
   */
  listJobs(filter: JobFilter): Promise<Job[]>;
  /** Deletes final jobs (with their events and blobs) that finished before `before`; returns how many. MUST NOT touch an unfinished job. */
  purgeFinishedBefore(before: number): Promise<number>;
}

/** A job as a JobRef. */
export const refOf = (job: Job): JobRef => ({ id: job.id, spaceId: job.space_id, ownerId: job.owner.id });
