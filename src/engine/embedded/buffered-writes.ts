import type { EventLog } from '../../core/event-log.ts';
import type { Job } from '../../core/types.ts';
import type { JobJournal } from './job-journal.ts';
import { jobRow } from './journal-records.ts';
import type { SegmentApplier } from './segment-applier.ts';

/** A job the embedded engine holds in memory until it ends. */
export interface ActiveJob {
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
 * The embedded engine's in-between writes — a job's assignment, start, requeue, tokens and
 * progress — gathered in memory and joined to the job journal on a timer (flushMs), the journal's
 * segment handed to SQLite on another (applyMs). A gateway crash requeues every job that was out
 * with a worker anyway, so losing the last few milliseconds of these changes only whether that
 * attempt is counted. Accepted jobs and final results do not wait for them (embedded-engine.ts).
 */
export class BufferedWrites {
  /** Jobs whose in-between state changes are not on disk yet. */
  readonly dirty = new Set<ActiveJob>();
  /** Accepted jobs with events not in the journal yet (a job's first commit, in submitJob, takes all it has by then). */
  readonly unjournaled = new Set<ActiveJob>();
  /** SQLite has everything journaled so far once this settles. */
  private applied: Promise<void> = Promise.resolve();
  private lastWarned = 0;
  private readonly timers: NodeJS.Timeout[];

  constructor(
    private readonly journal: JobJournal,
    private readonly applier: SegmentApplier,
    intervals: { flushMs: number; applyMs: number },
    private readonly warn?: (message: string) => void,
  ) {
    const journalTimer = setInterval(() => {
      try {
        this.journalPending();
      } catch (err) {
        this.warnOnce('Buffered job events could not be written to the job journal; they are tried again', err);
      }
    }, intervals.flushMs);
    const applyTimer = setInterval(() => {
      this.flush().catch((err) => this.warnOnce('The job journal could not be applied to SQLite; it stays on disk and is tried again', err));
    }, intervals.applyMs);
    this.timers = [journalTimer, applyTimer];
    for (const t of this.timers) t.unref();
  }

  /** A job's row, into the journal's commit being gathered. */
  persist(a: ActiveJob): void {
    this.journal.putJobRow(jobRow(a.job, a.rank));
  }

  /** A job's events since its last commit, straight from its log, and the trim of those the log forgot. */
  journalEvents(a: ActiveJob): void {
    for (const run of a.log.runs(Math.max(a.journaled, 0) + 1)) this.journal.putRun(a.job.id, run.firstSeq, run.count, run.bytes);
    // What the log forgot (its count bound), not what it let go of to save memory: that is stored.
    if (a.log.keptFrom > 1) this.journal.trimEvents(a.job.id, a.log.keptFrom);
  }

  /** The buffered writes join the journal (on a timer, and before a segment is handed over). */
  journalPending(): void {
    if (this.unjournaled.size === 0 && this.dirty.size === 0) return;
    this.journal.commit(() => this.writePending());
    // On disk now (commit throws otherwise, and all is tried again next time).
    this.dirty.clear();
    for (const a of this.unjournaled) a.journaled = a.log.lastSeq;
    this.unjournaled.clear();
  }

  /**
   * The buffered writes join the journal, and its segment goes to SQLite. Resolves once SQLite
   * has everything written so far. Runs on a timer, and before anything is read from SQLite or
   * deleted there. Async, so a journal that cannot be written rejects rather than throws.
   */
  async flush(): Promise<void> {
    this.journalPending();
    const segment = this.journal.rotate();
    // With nothing new, what was handed over last may still be on its way to SQLite.
    if (segment) this.applied = this.applier.apply(segment);
    else if (this.applier.blocked) this.applied = this.applier.retry();
    return this.applied;
  }

  /** Reports a background failure once it starts, and then every 10 s while it lasts (it is tried each time). */
  warnOnce(what: string, err: unknown): void {
    if (Date.now() - this.lastWarned < 10_000) return;
    this.lastWarned = Date.now();
    this.warn?.(`${what}: ${(err as Error).message}`);
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
  }

  private writePending(): void {
    for (const a of this.dirty) {
      // A job whose row cannot be written (nothing the edge lets in should do that) is left out
      // and reported, not retried forever in front of every other job's writes.
      const err = this.journal.attempt(() => this.persist(a));
      if (err !== undefined) {
        this.dirty.delete(a);
        this.warn?.(`Job ${a.job.id} could not be written to the job journal: ${(err as Error).message}`);
      }
    }
    for (const a of this.unjournaled) this.journalEvents(a);
  }
}
