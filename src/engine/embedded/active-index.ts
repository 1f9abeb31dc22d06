import { isFinal, isLeased, noJobs } from '../../core/job-state.ts';
import type { Job, JobState } from '../../core/types.ts';
import { RankedQueue } from './ranked-queue.ts';

/**
 * What the sweeper and the probes ask about jobs, kept up to date as jobs change so that none of
 * it scans the unfinished ones (of which there may be 100,000 queued): the unfinished by deadline,
 * the held ones (the only ones with leases), and how many jobs are in each state — the finished
 * counted from SQLite once, at start, then kept.
 */
export class ActiveIndex {
  private readonly byDeadline = new RankedQueue();
  private readonly held = new Map<string, Job>();
  private readonly counts = noJobs();

  constructor(finished: Array<{ state: string; n: number }>) {
    for (const { state, n } of finished) this.counts[state as JobState] = n;
  }

  /** An unfinished job became known (accepted, or found at start). */
  added(job: Job): void {
    this.byDeadline.join(job.id, job.deadline);
    this.counts[job.state] += 1;
    if (isLeased(job.state)) this.held.set(job.id, job);
  }

  /** A job (the live object) moved from `from` to its state now. */
  moved(job: Job, from: JobState): void {
    this.counts[from] -= 1;
    this.counts[job.state] += 1;
    if (isLeased(job.state)) this.held.set(job.id, job);
    else this.held.delete(job.id);
    if (isFinal(job.state)) this.byDeadline.leave(job.id);
  }

  /** An unfinished job that was not accepted after all. */
  removed(job: Job): void {
    this.counts[job.state] -= 1;
    this.held.delete(job.id);
    this.byDeadline.leave(job.id);
  }

  /** Finished jobs deleted (retention), by their states. */
  purged(states: JobState[]): void {
    for (const state of states) this.counts[state] -= 1;
  }

  countJobs(): Record<JobState, number> {
    return { ...this.counts };
  }

  /** Held jobs whose lease ran out at `now`: O(held), not O(unfinished). */
  expiredLeases(now: number): Job[] {
    return [...this.held.values()].filter((job) => (job.lease_expires ?? 0) <= now);
  }

  /** The ids of unfinished jobs whose deadline is at or before `now`, earliest first, at most `limit`. */
  overdue(now: number, limit: number): string[] {
    return this.byDeadline.upTo(now, limit);
  }
}
