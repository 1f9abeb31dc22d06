import type { Clock } from './clock.ts';
import type { Engine } from './engine-port.ts';
import { heldJob, type HeldJob, type WorkerLink } from './worker-link.ts';

/** A job whose worker's connection dropped, waiting for it to come back. */
interface Orphan {
  held: HeldJob;
  requeue: () => void;
}

/**
 * The jobs of workers whose connection dropped, each waiting out the re-attach grace before it is
 * requeued: a worker that reconnects in time says which jobs it still runs and takes them back,
 * the same attempt, and nothing restarts.
 */
export class Orphans {
  private readonly waiting = new Map<string, Orphan>();

  constructor(
    private readonly engine: Engine,
    private readonly leaseMs: number,
    private readonly clock: Clock,
    private readonly onError: (err: unknown, stage: string) => void,
  ) {}

  /** `job` goes back to its queue (`release`) unless its worker re-attaches it within `graceMs`. */
  keep(job: HeldJob, graceMs: number, release: () => Promise<unknown>): void {
    const requeue = this.clock.after(graceMs, () => {
      if (this.waiting.get(job.id)?.held !== job) return;
      this.waiting.delete(job.id);
      release().catch((err: unknown) => this.onError(err, 'reattach-grace'));
    });
    this.waiting.set(job.id, { held: job, requeue });
  }

  /**
   * A worker that reconnected says which jobs it still runs, as worker `previous`: each one it
   * still holds in the engine (on whichever instance it was) is its own again, the same attempt.
   * Returns the ids it kept; it should stop the others.
   */
  async reattach(link: WorkerLink, previous: string, jobs: Array<{ job: string; attempt: number }>): Promise<Array<{ job: string; received?: number }>> {
    const kept: Array<{ job: string; received?: number }> = [];
    for (const { job: jobId, attempt } of jobs) {
      const orphan = this.waiting.get(jobId);
      const known = orphan?.held ?? (await this.heldFromEngine(jobId, attempt, previous));
      if (!known || known.attempt !== attempt || !link.spaceIds.includes(known.spaceId)) continue;
      const taken = await this.engine.reattachJob(jobId, { workerId: previous, attempt }, link.id, this.leaseMs);
      if (!taken) continue;
      if (orphan) {
        orphan.requeue();
        this.waiting.delete(jobId);
      }
      // The worker's messages the log has: it sends again what came after (lost with the connection).
      link.held.set(jobId, { ...known, workerId: link.id, cancelling: false, received: taken.received });
      kept.push({ job: jobId, ...(taken.received !== undefined && { received: taken.received }) });
    }
    return kept;
  }

  /** A job this instance never saw held by `previous` (its connection was on another instance). */
  private async heldFromEngine(jobId: string, attempt: number, previous: string): Promise<HeldJob | undefined> {
    const job = await this.engine.getJob(jobId);
    if (!job || job.worker_id !== previous || job.attempt !== attempt) return undefined;
    // Its start is kept: the duration measured when it ends counts from the worker's real start.
    return { ...heldJob(job, previous), ...(job.started_at && { startedAt: job.started_at }) };
  }
}
