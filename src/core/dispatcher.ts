import { systemClock, type Clock } from './clock.ts';
import type { Engine } from './engine-port.ts';
import type { JobService } from './job-service.ts';
import type { Now } from './now.ts';
import { Orphans } from './orphans.ts';
import { isParked, type ParkedClaim } from './ports/jobs.ts';
import type { Job } from './types.ts';
import { freeSlots, heldJob, type ClaimAhead, type JobFile, type WorkerLink } from './worker-link.ts';

export interface DispatchOptions {
  /** How long a lease lasts without a heartbeat. @default 30_000 */
  leaseMs: number;
  /** How long a cancelled job keeps its slot while waiting for the worker's acknowledgement. @default 10_000 */
  cancelGraceMs: number;
  /**
   * How long the jobs of a worker whose connection dropped wait for it to reconnect and take them
   * back (re-attach) before they are requeued. 0: requeued at once. @default 5000
   */
  reattachGraceMs?: number;
}

/**
 * Hands queued jobs to the workers connected to THIS instance, only against free slots.
 * Claims are atomic in the engine; slots are counted here, where the worker's socket is, and a slot
 * is reserved before each claim so that concurrent kicks can never put two jobs in one slot.
 */
export class Dispatcher {
  readonly workers = new Map<string, WorkerLink>();
  /** Jobs of dropped connections, until re-attached or requeued. */
  private readonly orphans: Orphans;
  /**
   * Per space, the workers that may have a free slot, in the order they are offered jobs (round
   * robin): a worker joins when a slot of it may have freed, and leaves when a dispatch meets it
   * full — so a dispatch looks at the workers it gives jobs to, not at every connected one.
   */
  private readonly ready = new Map<string, Set<WorkerLink>>();
  /**
   * Announced jobs a kick found no worker free to claim (they may all have been reserved by claims
   * in flight): a claim that comes back empty looks again if one was missed while it was on its way.
   */
  private missed = 0;

  constructor(
    private readonly engine: Engine,
    private readonly jobs: JobService,
    private readonly options: DispatchOptions,
    private readonly onError: (err: unknown, stage: string) => void,
    private readonly clock: Clock = systemClock,
  ) {
    this.orphans = new Orphans(engine, options.leaseMs, clock, onError);
  }

  async addWorker(link: WorkerLink): Promise<void> {
    this.workers.set(link.id, link);
    this.mayTake(link);
    await this.publishPresence(link);
    this.jobs.slots.forget(); // once the engine lists it
    for (const spaceId of link.spaceIds) {
      void this.kick(spaceId);
      // Its spaces' status changed (connected, slots): watchers are told, as at a disconnect.
      this.jobs.queue.changed(spaceId);
    }
  }

  /**
   * The worker is gone: every job it held goes back to its queue (or fails after max attempts) —
   * after the re-attach grace when the connection merely dropped (`mayReturn`): a worker that
   * reconnects in time takes its jobs back (reattach) and nothing restarts.
   */
  async removeWorker(link: WorkerLink, why: string, mayReturn = false): Promise<void> {
    link.closed = true;
    this.unpark(link);
    this.workers.delete(link.id);
    for (const spaceId of link.spaceIds) this.ready.get(spaceId)?.delete(link);
    await this.engine.removeWorker(link.id);
    this.jobs.slots.forget();
    const held = [...link.held.values()];
    link.held.clear();
    const grace = mayReturn ? (this.options.reattachGraceMs ?? 5000) : 0;
    for (const job of held) {
      const release = () => this.jobs.release(job, { workerId: link.id, attempt: job.attempt }, why);
      if (grace <= 0) {
        await release();
        continue;
      }
      this.orphans.keep(job, grace, release);
    }
    for (const spaceId of link.spaceIds) this.jobs.queue.changed(spaceId);
  }

  /** A worker that reconnected takes back the jobs it still runs as worker `previous` (Orphans.reattach). */
  reattach(link: WorkerLink, previous: string, jobs: Array<{ job: string; attempt: number }>): Promise<Array<{ job: string; received?: number }>> {
    return this.orphans.reattach(link, previous, jobs);
  }

  async setDraining(link: WorkerLink, draining: boolean): Promise<void> {
    link.draining = draining;
    if (draining) this.unpark(link);
    else this.mayTake(link);
    await this.publishPresence(link);
    this.jobs.slots.forget();
    for (const spaceId of link.spaceIds) {
      if (!draining) void this.kick(spaceId);
      this.jobs.queue.changed(spaceId); // its slots no longer count, or count again
    }
  }

  /** An admin's drain or disconnect, for a worker that may be on this instance (others ignore it). */
  async adminAction(workerId: string, action: 'drain' | 'undrain' | 'disconnect'): Promise<void> {
    const link = this.workers.get(workerId);
    if (!link) return;
    if (action === 'disconnect') return link.disconnect('disconnected by an admin');
    await this.setDraining(link, action === 'drain');
    link.sendDraining(action === 'drain');
  }

  /** `n` jobs joined the queue of `spaceId` (a submit, a requeue, jobs due): claimed for up to `n` free local workers. */
  announced(spaceId: string, n = 1): Now<void> {
    return this.kick(spaceId, n);
  }

  /**
   * Claims jobs of `spaceId` for local workers with free slots, one per worker per pass to spread
   * load, at most `limit` (an announcement's jobs; unlimited when slots freed: there may be a
   * backlog). With an engine that answers at once (the embedded one) it all happens before this
   * returns — no promise per step on the path from a submit to its worker; with Redis the claims
   * of a pass go out together.
   */
  kick(spaceId: string, limit = Number.POSITIVE_INFINITY, batch = 1): Now<void> {
    try {
      // One claim at a time where they answer at once; where each is a round trip (Redis), for 1
      // worker, then 2, 4, … while every one finds a job. Either way a kick on an empty queue
      // costs one claim, not one per ready worker.
      for (;;) {
        const want = Math.min(batch, limit);
        if (want <= 0) return;
        const ready = this.ready.get(spaceId);
        const picked = ready ? this.pick(ready, want) : [];
        if (picked.length < want && Number.isFinite(limit)) this.missed += 1;
        if (picked.length === 0) return;
        limit -= picked.length;
        const claims = picked.map((w) => this.claimFor(w));
        if (claims.some((c) => c instanceof Promise)) {
          return Promise.all(claims).then(
            (claimed) => (claimed.every(Boolean) ? this.kick(spaceId, limit, batch * 2) : undefined),
            (err) => this.onError(err, 'dispatch'),
          );
        }
        if (!claims.every(Boolean)) return;
      }
    } catch (err) {
      this.onError(err, 'dispatch');
    }
  }

  /** A claim is answered: its slot is no longer reserved (a kick meanwhile may have found it full). */
  private unreserve(link: WorkerLink): void {
    link.reserved -= 1;
    this.mayTake(link);
  }

  /** Up to `n` workers with a free slot from the front of `ready`; the full ones met leave it. */
  private pick(ready: Set<WorkerLink>, n: number): WorkerLink[] {
    const out: WorkerLink[] = [];
    for (const w of ready) {
      if (out.length >= n) break;
      if (freeSlots(w) > 0) out.push(w);
      else ready.delete(w);
    }
    return out;
  }

  /**
   * A slot of the worker may have freed (or it came, or came back from draining or silence): its
   * spaces offer it jobs again. `last`: it just got one, so it goes to the back (round robin).
   */
  private mayTake(link: WorkerLink, last = false): void {
    if (link.closed) return;
    for (const spaceId of link.spaceIds) {
      let ready = this.ready.get(spaceId);
      if (!ready) this.ready.set(spaceId, (ready = new Set()));
      if (last) ready.delete(link);
      ready.add(link);
    }
  }

  private claimFor(link: WorkerLink): Now<boolean> {
    link.reserved += 1;
    let claim: Now<Job | ParkedClaim | null>;
    try {
      // Where a claim is a round trip, a slot that finds nothing parks: the next job comes to it.
      const { spaceIds, id } = link;
      claim = this.engine.claimOrPark ? this.engine.claimOrPark(spaceIds, id, this.options.leaseMs) : this.engine.claimJob(spaceIds, id, this.options.leaseMs);
    } catch (err) {
      link.reserved -= 1;
      throw err;
    }
    if (claim instanceof Promise) {
      const missedBefore = this.missed;
      return claim.then(
        (job) => this.answered(link, job, missedBefore),
        (err) => {
          this.unreserve(link);
          throw err;
        },
      );
    }
    this.unreserve(link);
    return this.claimed(link, claim);
  }

  /**
   * A claim came back: its slot unreserved, its job sent; one that found nothing looks again if a
   * kick missed a job meanwhile (it may have come after the claim looked). A parked slot stays
   * reserved until its job comes (or it is withdrawn: then it is answered as one that found nothing).
   */
  private answered(link: WorkerLink, job: Job | ParkedClaim | null, missedBefore: number): Now<boolean> {
    if (isParked(job)) {
      const report = (err: unknown) => this.onError(err, 'dispatch');
      job.assigned.then((assigned) => this.answered(link, assigned, missedBefore)).catch(report);
      // Its other free slots park too, so each job that comes goes straight to one.
      if (freeSlots(link) > 0) Promise.resolve(this.claimFor(link)).catch(report);
      return false;
    }
    this.unreserve(link);
    if (!job && this.missed !== missedBefore) this.kickAll(link);
    return this.claimed(link, job);
  }

  private claimed(link: WorkerLink, job: Job | null): Now<boolean> {
    if (!job) return false;
    this.mayTake(link, true);
    const held = heldJob(job, link.id);
    if (link.closed) return this.jobs.release(held, { workerId: link.id, attempt: job.attempt }, 'worker disconnected').then(() => false);
    link.held.set(job.id, held);
    if (job.inputs.files.length > 0) return this.withFiles(job).then((files) => this.send(link, job, files));
    return this.send(link, job, []);
  }

  private async withFiles(job: Job): Promise<JobFile[]> {
    const files: JobFile[] = [];
    for (const file of job.inputs.files) {
      const blob = await this.engine.getBlob(file.blob);
      if (blob) files.push({ file, bytes: blob.bytes });
    }
    return files;
  }

  private send(link: WorkerLink, job: Job, files: JobFile[]): Now<boolean> {
    if (!link.closed && link.held.has(job.id)) {
      try {
        link.sendJob(job, files);
      } catch (err) {
        // A job that cannot be sent (its protocol cannot write it) fails alone and frees the slot,
        // rather than holding it until its lease runs out and coming back to fail the same way.
        this.onError(err, 'dispatch');
        link.held.delete(job.id);
        this.mayTake(link);
        const failed = { type: 'failed', code: 'internal_error', message: 'The job could not be sent to a worker.' } as const;
        this.jobs.end(job, failed).catch((e: unknown) => this.onError(e, 'dispatch'));
      }
    }
    // After the send: the worker can start while the bookkeeping goes on.
    this.jobs.queue.changed(job.space_id);
    const presence = this.publishPresence(link);
    return presence instanceof Promise ? presence.then(() => true) : true;
  }

  /**
   * For a worker's final event, where the engine claims the worker's next job in the same step
   * (finishAndClaim: Redis, where a claim is a round trip of its own): the step that appends it and
   * hands the worker the job claimed with it. Undefined: the kick that frees the slot refills it.
   */
  claimAhead(link: WorkerLink): ClaimAhead | undefined {
    const finishAndClaim = this.engine.finishAndClaim;
    // The ending job's slot goes to the job claimed with its end (several of a worker's jobs may
    // end in one turn: each one's slot is its own, whatever the others' claims hold).
    if (!finishAndClaim || link.closed || link.draining || link.silent) return undefined;
    link.reserved += 1;
    const missedBefore = this.missed;
    const next = { spaceIds: link.spaceIds, leaseMs: this.options.leaseMs };
    return {
      finish: async (held, event, result) => {
        let out: { kept: boolean; next: Job | ParkedClaim | null };
        try {
          out = await finishAndClaim.call(this.engine, held, event, held, result, next);
        } catch (err) {
          this.unreserve(link);
          throw err;
        }
        // Not appended, so nothing claimed: the slot frees (and is kicked) as for any stale event.
        if (!out.kept) {
          this.unreserve(link);
          return false;
        }
        const sent = this.answered(link, out.next, missedBefore);
        if (sent instanceof Promise) sent.catch((err: unknown) => this.onError(err, 'dispatch'));
        return true;
      },
    };
  }

  /**
   * The worker finished with a job (result, error, acknowledged cancel, or stale): free its slot.
   * `refilled`: its final event's step already claimed for the slot (claimAhead), so no kick.
   */
  freeSlot(link: WorkerLink, jobId: string, refilled = false): Now<void> {
    if (!link.held.delete(jobId)) return;
    this.mayTake(link);
    // Its running count goes out with the claims for its next job, not a round trip before them.
    const presence = this.publishPresence(link);
    if (!refilled) this.kickAll(link);
    return presence;
  }

  private kickAll(link: WorkerLink): void {
    for (const spaceId of link.spaceIds) void this.kick(spaceId);
  }

  async heartbeat(link: WorkerLink): Promise<void> {
    if (link.silent) {
      link.silent = false;
      this.mayTake(link);
      for (const spaceId of link.spaceIds) void this.kick(spaceId);
    }
    if (link.held.size > 0) await this.engine.renewLeases(link.id, [...link.held.keys()], this.options.leaseMs);
  }

  /**
   * A cancel or timeout for a job held by a worker on this instance: tell the worker and keep the
   * slot until it acknowledges, or until the grace period ends (a worker that ignores cancels must
   * not keep the slot forever, nor get a new job while it may still be busy).
   */
  cancelLocal(jobId: string, workerId: string, reason: string): void {
    const link = this.workers.get(workerId);
    const held = link?.held.get(jobId);
    if (!link || !held || held.cancelling) return;
    held.cancelling = true;
    link.sendCancel(jobId, reason);
    this.clock.after(this.options.cancelGraceMs, () => this.freeSlotReporting(link, jobId, 'cancel-grace'));
  }

  /** A job that was not accepted after all: a local worker that took it is told to stop, as for a cancel. */
  withdraw(jobId: string): void {
    for (const link of this.workers.values()) if (link.held.has(jobId)) this.cancelLocal(jobId, link.id, 'not accepted');
  }

  /** A lease expired under a worker that is still connected: it no longer holds the job. */
  forget(jobId: string, workerId: string): void {
    const link = this.workers.get(workerId);
    if (!link?.held.has(jobId)) return;
    link.silent = true;
    this.unpark(link);
    link.sendCancel(jobId, 'lease expired');
    this.freeSlotReporting(link, jobId, 'forget');
  }

  /** freeSlot from a timer or the bus, where a failure has no caller to go to. */
  private freeSlotReporting(link: WorkerLink, jobId: string, stage: string): void {
    try {
      const freed = this.freeSlot(link, jobId);
      if (freed instanceof Promise) freed.catch((err) => this.onError(err, stage));
    } catch (err) {
      this.onError(err, stage);
    }
  }

  /** The worker takes no new job for now: its parked slots are withdrawn (each answered as a claim that found nothing). */
  private unpark(link: WorkerLink): void {
    this.engine.unpark?.(link.id).catch((err: unknown) => this.onError(err, 'dispatch'));
  }

  private publishPresence(link: WorkerLink): Now<void> {
    if (link.closed) return;
    return this.engine.putWorker({
      id: link.id,
      name: link.name,
      space_ids: link.spaceIds,
      slots: link.slots,
      running: link.held.size,
      draining: link.draining,
      connected_at: link.connectedAt,
      instance: this.engine.instanceId,
    });
  }
}
