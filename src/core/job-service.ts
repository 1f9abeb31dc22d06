import { SpaceportError } from '../protocol/errors.ts';
import { systemClock, type Clock } from './clock.ts';
import type { SpaceVisibility } from './space-visibility.ts';
import type { Engine } from './engine-port.ts';
import { refOf, type LeaseHolder } from './ports/jobs.ts';
import { budgetKey, DEFAULT_BUDGETS, type Budgets } from './budgets.ts';
import { DurationEstimate } from './eta.ts';
import { idempotencyOf, type Asked } from './idempotency.ts';
import { newTimeOrderedId } from './ids.ts';
import type { Now } from './now.ts';
import { FINAL_EVENT_STATE, type JobEvent } from '../protocol/job-events.ts';
import { isFinal, isLeased } from './job-state.ts';
import { PRIORITY_LIMIT } from './queue-order.ts';
import { checkOptions, maySubmit, retryDelayMs } from './space-rules.ts';
import type { Telemetry } from './telemetry.ts';
import { CHANNEL, queuedControl, type ControlMessage } from './topics.ts';
import type { Identity, Job, JobResult, Space, StoredFile } from './types.ts';
import { SpaceSlots } from './space-slots.ts';
import type { ClaimAhead, HeldJob } from './worker-link.ts';
import { noFiles, resolveFiles, type SubmittedFile } from './submitted-files.ts';

export type { SubmittedFile };

/** How far ahead a submit may ask to start (SubmitRequest.notBefore). */
const MAX_DELAY_MS = 24 * 3600_000;
/** How an engine refuses a submit (ports/jobs.ts): before the job can be claimed. */
const REFUSALS: ReadonlySet<string> = new Set(['queue_full', 'quota_exceeded']);

export interface SubmitRequest {
  space: string;
  prompt?: string | undefined;
  options?: Record<string, unknown> | undefined;
  files: SubmittedFile[];
  /** The caller's W3C trace context (a header or a message field), checked by the protocol. */
  traceparent?: string | undefined;
  /** The caller's idempotency key: the same one again within retention answers with the same job. */
  idempotencyKey?: string | undefined;
  /** The job this submit retries (JobService.retry). */
  retryOf?: string | undefined;
  /** Higher goes first (docs/queue.md), up to what the caller may ask for; absent: 0. */
  priority?: number | undefined;
  /** Not before this time (ms): the job waits outside the queue until then (docs/queue.md); at most a day ahead. */
  notBefore?: number | undefined;
  /** Where its events are sent (docs/webhooks.md); the URL checked by the server already. */
  webhook?: Job['webhook'] | undefined;
  /**
   * The id the job gets, made by a caller that must know it before the job exists (a follower
   * subscribing to its events first); never taken from a client. Absent: a new one.
   */
  jobId?: string | undefined;
}

export interface QueueHooks {
  /** Something about the space's queue or workers changed. */
  changed(spaceId: string): void;
  /** A job was told its position directly (at submit); no need to push it again. */
  told(spaceId: string, jobId: string, position: number): void;
  /** A job joined its queue where its client may not have been told (a requeue, a delayed job joining): its position is to be pushed. */
  placed(spaceId: string, jobId: string): void;
}

export interface Accepted {
  job: Job;
  position: number;
  eta_ms: number | null;
  /** The first event (queued, seq 1), already published; none for an existing job. */
  line?: string;
  /** The submit's idempotency key named a job already there: this is that job, nothing new was made. */
  existing?: true;
}

const found = (space: Space | null, name: string): Space => {
  if (!space) throw new SpaceportError('space_not_found', `No space is named "${name}".`);
  return space;
};

/** Total slots of the workers serving a space, on every instance. */
/** An event worth noting in telemetry: a job's start, its first token, its end. */
const isMilestone = (held: HeldJob, event: JobEvent): boolean => (event.type === 'token' ? !held.sawToken : event.type === 'started' || event.type in FINAL_EVENT_STATE);

/** The final states a job can be retried from: those without a result. */
const RETRYABLE: ReadonlySet<Job['state']> = new Set(['failed', 'timed_out', 'cancelled']);

/** What a submit asked for, for its idempotency fingerprint: the files as named (not their stored ids). */
const asked = (space: Space, req: SubmitRequest, files: StoredFile[]): Asked => ({
  space: space.id,
  prompt: req.prompt,
  options: req.options,
  files: req.files.map((f, i) => ('blob' in f ? { blob: f.blob } : { name: f.name, mime: f.mime, size: files[i]!.size })),
});

/** Who may see a job: admins, its owner, whoever holds the unguessable id of an anonymous job, and anyone when its space is public. */
export function maySee(who: Identity, job: Job, spacePublic = false): boolean {
  return spacePublic || who.kind === 'admin' || job.owner.id === who.id || job.owner.kind === 'anonymous';
}

/**
 * The rules of a job's life above the engine: submit checks, cancels, timeouts, lost leases, and
 * what a job's milestones tell telemetry. The engine publishes every event it appends.
 */
export class JobService {
  private readonly estimates = new Map<string, DurationEstimate>();

  constructor(
    private readonly engine: Engine,
    private readonly telemetry: Telemetry,
    /** Told when a space's queue or workers changed, so positions and status get pushed. */
    readonly queue: QueueHooks,
    private readonly budgets: Budgets = DEFAULT_BUDGETS,
    private readonly clock: Clock = systemClock,
    private readonly visibility?: SpaceVisibility,
  ) {
    this.slots = new SpaceSlots(engine, clock);
  }

  /** The slots serving each space, for ETAs (the dispatcher says when this instance's workers change). */
  readonly slots: SpaceSlots;

  estimate(spaceId: string): DurationEstimate {
    let e = this.estimates.get(spaceId);
    if (!e) this.estimates.set(spaceId, (e = new DurationEstimate()));
    return e;
  }

  async requireSpace(name: string): Promise<Space> {
    return found(await this.engine.getSpace(name), name);
  }

  /** `issued`: called once the engine has been handed the job (its answer may still be on its way): a caller pipelining submits starts its next one then (server/ws/inbound.ts pipelines; only where the engine is remote). */
  async submit(who: Identity, req: SubmitRequest, issued?: () => void): Promise<Accepted> {
    // The engine's answers are awaited only when they are promises (Redis): with the embedded
    // engine a submit reaches the queue, and its worker, without a turn of waiting.
    const named = this.engine.getSpace(req.space);
    const space = found(named instanceof Promise ? await named : named, req.space);
    if (!maySubmit(space, who)) throw new SpaceportError('unauthorized', `Space "${space.name}" accepts jobs only from signed-in users or API keys.`);
    checkOptions(space, req.options);
    const key = budgetKey(who);
    const priority = req.priority ?? 0;
    const allowed = who.kind === 'admin' ? PRIORITY_LIMIT : (who.max_priority ?? this.budgets.maxPriority);
    if (priority > allowed) throw new SpaceportError('forbidden', `Priority ${priority} is above the highest these credentials may ask for (${allowed}).`);
    if (key !== null && this.budgets.submitsPerMinute > 0) await this.countSubmit(key);
    const jobId = req.jobId ?? newTimeOrderedId('job');
    const files = req.files.length === 0 ? noFiles(space, req.prompt) : await resolveFiles(this.engine, this.clock, space, req, jobId);
    const slotsNow = this.slots.of(space.id);
    const slots = slotsNow instanceof Promise ? await slotsNow : slotsNow;
    const estimate = this.estimate(space.id);
    const now = this.clock.now();
    if (req.notBefore !== undefined && req.notBefore > now + MAX_DELAY_MS) throw new SpaceportError('invalid_message', 'not_before: at most 24 hours ahead.');
    const notBefore = req.notBefore !== undefined && req.notBefore > now ? req.notBefore : undefined;
    const traceparent = this.telemetry.traceSubmit({ job: jobId, space: space.name }, req.traceparent);
    const idempotency = req.idempotencyKey === undefined ? undefined : idempotencyOf(who.id, req.idempotencyKey, asked(space, req, files));
    const job: Job = {
      id: jobId,
      space_id: space.id,
      space: space.name,
      owner: who,
      state: 'queued',
      attempt: 0,
      max_attempts: space.max_attempts,
      inputs: { files, ...(req.prompt !== undefined && { prompt: req.prompt }), ...(req.options && { options: req.options }), ...(traceparent && { traceparent }) },
      created_at: now,
      // Its time to run counts from when it may start.
      deadline: (notBefore ?? now) + space.timeout_s * 1000,
      ...(notBefore !== undefined && { not_before: notBefore }),
      ...(req.webhook && { webhook: req.webhook }),
      ...(idempotency && { idempotency }),
      ...(req.retryOf && { retry_of: req.retryOf }),
      ...(priority !== 0 && { priority }),
      // Shared by caller (an anonymous one by client address, like their budgets), unless the space is first come, first served.
      ...(space.queue_policy !== 'fifo' && { fair_by: key ?? who.id, ...(who.fair_weight !== undefined && who.fair_weight > 1 && { fair_weight: who.fair_weight }) }),
    };
    let eta: number | null = null;
    const quota = key === null ? undefined : { key, max: this.budgets.jobsPerSpace };
    const submitted = this.engine.submitJob(
      job,
      space.max_queue,
      (position) => {
        const wait = estimate.etaMs(position, slots);
        eta = notBefore === undefined ? wait : wait === null ? null : notBefore - now + wait;
        return { type: 'queued', position, eta_ms: eta, attempt: 0, ...(notBefore !== undefined && { not_before: new Date(notBefore).toISOString() }) };
      },
      // Dispatch may begin while the job is being made durable; "accepted" waits for that.
      queuedControl(space.id),
      quota,
    );
    issued?.();
    // The files stored from the submit's own bytes are for this job alone: if it is not taken they go.
    const inline = files.filter((_, i) => !('blob' in req.files[i]!)).map((f) => f.blob);
    let appended: Awaited<typeof submitted>;
    try {
      appended = await submitted;
    } catch (err) {
      // A job that could not be made durable was not accepted: a worker that took it meanwhile
      // stops. (A refusal comes before the job could be claimed: nobody to tell.)
      if (!(err instanceof SpaceportError && REFUSALS.has(err.code))) this.control({ op: 'withdrawn', job: job.id });
      if (inline.length > 0) await this.engine.deleteBlobs(inline).catch(() => {});
      throw err;
    }
    if ('existing' in appended) {
      if (inline.length > 0) await this.engine.deleteBlobs(inline);
      return this.existing(who, appended.existing, idempotency!);
    }
    // Uploads it names are the job's from now on: kept and deleted with it, no longer the caller's to store.
    for (const f of req.files) if ('blob' in f) await this.engine.claimUpload(f.blob, job.id);
    this.queue.told(space.id, job.id, appended.position);
    this.queue.changed(space.id);
    this.telemetry.jobSubmitted({ job: job.id, space: space.name });
    return { job, position: appended.position, eta_ms: eta, line: appended.line };
  }

  /** One more submit of `key` this minute, or rate_limited (with when to try again) past the budget. */
  private async countSubmit(key: string): Promise<void> {
    const counted = this.engine.countInWindow(`submits:${key}`, 60_000);
    const { count, resetInMs } = counted instanceof Promise ? await counted : counted;
    const max = this.budgets.submitsPerMinute;
    if (count > max) throw new SpaceportError('rate_limited', `You may submit ${max} jobs a minute; try again in ${Math.ceil(resetInMs / 1000)} s.`, { retry_after_ms: resetInMs });
  }

  /** The job a repeated idempotency key names — if it was the same request (else idempotency_conflict). */
  private async existing(who: Identity, jobId: string, idempotency: NonNullable<Job['idempotency']>): Promise<Accepted> {
    const job = await this.getVisible(who, jobId);
    if (job.idempotency?.fingerprint !== idempotency.fingerprint) {
      throw new SpaceportError('idempotency_conflict', `That idempotency key was used for another request (job ${job.id}); use a new key for a new job.`);
    }
    const position = job.state === 'queued' ? await this.engine.queuePosition(job.space_id, job.id) : 0;
    return { job, position: Math.max(position, 0), eta_ms: null, existing: true };
  }

  async getVisible(who: Identity, jobId: string): Promise<Job> {
    const job = await this.engine.getJob(jobId);
    if (!job || !maySee(who, job, this.visibility?.isPublic(job.space_id))) throw new SpaceportError('job_not_found', `No job has id "${jobId}".`);
    return job;
  }

  /**
   * A second try of a job that ended without a result (failed, timed out, cancelled) — a dead
   * letter — by its owner or an admin: a new job with the same inputs, owned by the same caller,
   * naming the first as `retry_of`. The files are copied, so each job keeps (and loses) its own.
   */
  async retry(who: Identity, jobId: string): Promise<Accepted> {
    const job = await this.getVisible(who, jobId);
    if (who.kind !== 'admin' && job.owner.id !== who.id) throw new SpaceportError('forbidden', 'Only the job’s owner or an admin may retry it.');
    if (!RETRYABLE.has(job.state)) throw new SpaceportError('job_not_retryable', `Job ${job.id} is ${job.state}; only a failed, timed out or cancelled job can be retried.`);
    const files = await Promise.all(
      job.inputs.files.map(async (f) => {
        const blob = await this.engine.getBlob(f.blob);
        if (!blob) throw new SpaceportError('blob_not_found', `The input ${f.name} of job ${job.id} is no longer kept.`);
        return { name: f.name, mime: f.mime, input: f.input, bytes: blob.bytes };
      }),
    );
    return this.submit(job.owner, { space: job.space, prompt: job.inputs.prompt, options: job.inputs.options, files, retryOf: job.id, priority: job.priority });
  }

  async cancel(who: Identity, jobId: string): Promise<Job> {
    const job = await this.getVisible(who, jobId);
    if (isFinal(job.state)) throw new SpaceportError('job_finished', `Job ${jobId} already ended as ${job.state}.`);
    await this.end(job, { type: 'cancelled', reason: `cancelled by ${who.name}` });
    return (await this.engine.getJob(jobId)) ?? job;
  }

  /** Ends a job as cancelled or timed_out, and tells the worker holding it to stop. */
  async end(job: Job, event: JobEvent): Promise<boolean> {
    const before = await this.engine.endJob(refOf(job), event);
    if (!before) return false;
    this.reportEnd(before, FINAL_EVENT_STATE[event.type]!);
    if (isLeased(before.state) && before.worker_id) {
      this.control({ op: 'cancel', job: before.id, worker: before.worker_id, reason: event.type });
    }
    this.queue.changed(before.space_id);
    return true;
  }

  /**
   * A worker lost a job (disconnect, silence): requeue at the head, or fail after max attempts. With
   * `retry`, the worker failed it with an error it says may pass: the job first waits out the
   * space's backoff (retry_scheduled), or fails with that error after max attempts. False when the
   * holder no longer held it.
   */
  async release(held: Pick<HeldJob, 'id' | 'spaceId' | 'ownerId'>, holder: LeaseHolder, why: string, retry?: { message: string }): Promise<boolean> {
    const n = holder.attempt;
    let out: { requeued: boolean } | null;
    if (retry) {
      const delayMs = retryDelayMs((await this.engine.getSpaceById(held.spaceId)) ?? {}, n);
      const exhausted: JobEvent = { type: 'failed', code: 'worker_error', message: `${retry.message} (attempt ${n} of ${n}; no retries left)` };
      out = await this.engine.releaseJob(held, holder, () => ({ type: 'retry_scheduled', attempt: n, delay_ms: delayMs, message: retry.message }), exhausted, this.clock.now() + delayMs);
    } else {
      const exhausted: JobEvent = { type: 'failed', code: 'worker_lost', message: `The job was lost by its worker ${n} time(s) (${why}); the space allows ${n}.` };
      out = await this.engine.releaseJob(held, holder, (position) => ({ type: 'queued', position, eta_ms: null, attempt: n, reason: why }), exhausted);
    }
    if (!out) return false;
    if (out.requeued) {
      // Back in the queue now (a retry joins it when its backoff is over: the sweeper's promoteDue).
      if (!retry) {
        this.queue.placed(held.spaceId, held.id);
        this.control({ op: 'queued', space: held.spaceId });
      }
      this.telemetry.jobRequeued({ job: held.id, space: await this.spaceName(held.spaceId), worker: holder.workerId }, why);
    } else {
      const job = await this.engine.getJob(held.id);
      if (job) this.reportEnd({ ...job, worker_id: holder.workerId }, 'failed', retry ? 'worker_error' : 'worker_lost');
    }
    this.queue.changed(held.spaceId);
    return true;
  }

  /**
   * Appends an event a worker sent for a job it holds. Returns false when the worker no longer holds
   * the job (the event is discarded and never reaches a client).
   */
  workerEvent(held: HeldJob, event: JobEvent, result?: JobResult, ahead?: ClaimAhead): Now<boolean> {
    const kept = ahead ? ahead.finish(held, event, result) : this.engine.appendEvent(held, event, held, result);
    if (event.type === 'progress') void this.spaceName(held.spaceId).then((space) => this.telemetry.jobProgress({ job: held.id, space, webhook: held.webhook }, event.progress, event.message));
    // Most events are tokens after the first: nothing to note, and no continuation to allocate
    // (a Redis engine's tokens of one turn share one promise).
    if (!isMilestone(held, event)) return kept;
    return kept instanceof Promise ? kept.then((k) => k && this.milestone(held, event)) : kept && this.milestone(held, event);
  }

  /** Notes a job's start, first token or end (true: the event was kept). */
  private milestone(held: HeldJob, event: JobEvent): Now<true> {
    // Most events are tokens after the first: nothing more to note, and nothing to wait for.
    if (!isMilestone(held, event)) return true;
    // Noted before any wait, so the tokens right behind this one see it.
    const now = this.clock.now();
    if (event.type === 'started') held.startedAt = now;
    if (event.type === 'token') held.sawToken = true;
    // The space's name is known after its first job: then nothing to wait for.
    const space = this.spaceNames.get(held.spaceId);
    if (space !== undefined) {
      this.noteMilestone(held, event, space, now);
      return true;
    }
    return this.spaceName(held.spaceId).then((name) => {
      this.noteMilestone(held, event, name, now);
      return true as const;
    });
  }

  /** Telemetry of a job's start, first token and end (and the space's run-time estimate). */
  private noteMilestone(held: HeldJob, event: JobEvent, space: string, now: number): void {
    if (event.type === 'started') this.telemetry.jobStarted({ job: held.id, space, worker: held.workerId, webhook: held.webhook }, now - held.createdAt);
    else if (event.type === 'token') this.telemetry.firstToken(space, now - held.createdAt);
    else {
      if (event.type === 'result') this.estimate(held.spaceId).record(now - (held.startedAt ?? now));
      this.telemetry.jobEnded({
        job: held.id,
        space,
        worker: held.workerId,
        state: FINAL_EVENT_STATE[event.type]!,
        attempt: held.attempt,
        createdAt: held.createdAt,
        startedAt: held.startedAt,
        endedAt: now,
        code: event.type === 'failed' ? event.code : undefined,
        traceparent: held.traceparent,
        webhook: held.webhook,
      });
    }
  }

  /** Appends (and so publishes) an event that is not a worker's (queue position updates). */
  control(message: ControlMessage): void {
    this.engine.publish(CHANNEL.control, JSON.stringify(message));
  }

  private spaceNames = new Map<string, string>();
  private async spaceName(spaceId: string): Promise<string> {
    let name = this.spaceNames.get(spaceId);
    if (name === undefined) {
      name = (await this.engine.getSpaceById(spaceId))?.name ?? spaceId;
      this.spaceNames.set(spaceId, name);
    }
    return name;
  }

  private reportEnd(job: Job, state: Job['state'], code?: string): void {
    this.telemetry.jobEnded({
      job: job.id,
      space: job.space,
      worker: job.worker_id,
      state,
      attempt: job.attempt,
      createdAt: job.created_at,
      startedAt: job.started_at,
      endedAt: this.clock.now(),
      code,
      traceparent: job.inputs.traceparent,
      webhook: job.webhook !== undefined,
    });
  }
}
