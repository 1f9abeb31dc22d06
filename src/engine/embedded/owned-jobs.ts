/**
 * The unfinished jobs counted against each budget of one space (`<space id> <key>`), so a submit
 * past a caller's budget is refused in the same step that would queue it. A job leaves its set when
 * it ends; a set left empty is dropped, so memory follows the jobs alive, not the callers ever seen.
 */
export class OwnedJobs {
  private readonly byBudget = new Map<string, Set<string>>();

  /** Counts `jobId` under `budget` unless `max` are there already; false when they are. */
  take(budget: string, jobId: string, max: number): boolean {
    let jobs = this.byBudget.get(budget);
    if (!jobs) this.byBudget.set(budget, (jobs = new Set()));
    if (jobs.size >= max) return false;
    jobs.add(jobId);
    return true;
  }

  /** Counts a job restored at start, whatever the budget says now. */
  restore(budget: string, jobId: string): void {
    this.take(budget, jobId, Number.POSITIVE_INFINITY);
  }

  release(budget: string, jobId: string): void {
    const jobs = this.byBudget.get(budget);
    if (!jobs?.delete(jobId) || jobs.size > 0) return;
    this.byBudget.delete(budget);
  }
}

/** The budget a job of `spaceId` under `key` counts against. */
export const budgetOf = (spaceId: string, key: string) => `${spaceId} ${key}`;
