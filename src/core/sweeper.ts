import { systemClock, type Clock } from './clock.ts';
import type { Engine } from './engine-port.ts';
import { refOf } from './ports/jobs.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { JobService } from './job-service.ts';

export interface SweepOptions {
  /** How often leases, deadlines and retention are checked. @default 1000 */
  sweepIntervalMs: number;
  /** How long finished jobs, their events and their blobs are kept. @default 86_400_000 (24 h) */
  retentionMs: number;
  /** How long an upload (POST /v1/blobs) no job has used is kept. @default 3_600_000 (1 h) */
  uploadRetentionMs?: number;
}

/** Jobs timed out per sweep at most (the rest in the next ones), and between yields to the event loop. */
const TIMEOUTS_PER_SWEEP = 5000;
const TIMEOUTS_PER_SLICE = 100;

/**
 * The periodic safety net: expired leases are released (their jobs requeued), retries and jobs
 * submitted for later join their queues when their time comes, jobs past their
 * deadline end as timed_out, finished jobs past retention are deleted, and every space is kicked
 * so no slot idles while its space has queued jobs, even if a notification was missed.
 */
export class Sweeper {
  private stopTimer: (() => void) | undefined;
  private running = false;
  private lastPurge = 0;

  constructor(
    private readonly engine: Engine,
    private readonly jobs: JobService,
    private readonly dispatcher: Dispatcher,
    private readonly options: SweepOptions,
    private readonly onError: (err: unknown, stage: string) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  start(): void {
    this.stopTimer = this.clock.every(this.options.sweepIntervalMs, () => void this.sweep());
  }

  async sweep(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const now = this.clock.now();
      for (const lease of await this.engine.expiredLeases(now)) {
        const job = await this.engine.getJob(lease.jobId);
        if (!job) continue;
        // The worker may be connected to another instance: whichever serves it frees the slot.
        this.jobs.control({ op: 'lost', job: lease.jobId, worker: lease.workerId });
        await this.jobs.release(refOf(job), lease, 'lease expired');
      }
      // Jobs whose time has come join their queues — a retry after its backoff at the head, a job
      // submitted for later as a new one — and are dispatched.
      const joined = new Map<string, number>();
      for (const { spaceId, jobId } of await this.engine.promoteDue(now)) {
        this.jobs.queue.placed(spaceId, jobId);
        joined.set(spaceId, (joined.get(spaceId) ?? 0) + 1);
      }
      for (const [spaceId, n] of joined) this.jobs.control({ op: 'queued', space: spaceId, n });
      // In slices, the event loop served between them: 50,000 jobs due at once must not stall it.
      for (const [i, job] of (await this.engine.overdueJobs(now, TIMEOUTS_PER_SWEEP)).entries()) {
        if (i > 0 && i % TIMEOUTS_PER_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
        await this.jobs.end(job, { type: 'timed_out', message: `The job did not finish within ${Math.round((job.deadline - job.created_at) / 1000)} s.` });
      }
      await this.engine.purgeExpiredSessions(now);
      if (now - this.lastPurge > Math.min(60_000, this.options.retentionMs, this.options.uploadRetentionMs ?? 3600_000)) {
        this.lastPurge = now;
        await this.engine.purgeFinishedBefore(now - this.options.retentionMs);
        await this.engine.purgeUploadsBefore(now - (this.options.uploadRetentionMs ?? 3600_000));
        await this.engine.purgeDeliveriesBefore(now - this.options.retentionMs);
      }
      for (const space of await this.engine.listSpaces()) await this.dispatcher.kick(space.id);
    } catch (err) {
      this.onError(err, 'sweep');
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    this.stopTimer?.();
  }
}
