import type { EventRange } from '../../core/ports/jobs.ts';
import type { Job } from '../../core/types.ts';
import type { ActiveJob } from './buffered-writes.ts';
import type { SqliteStore } from './sqlite-store.ts';

/** A job's epoch and where it began, as EventRange gives them. */
export const epochOf = (job: Job) => ({ epoch: job.epoch ?? 1, epochSeq: job.epoch_seq ?? 1 });

/** The event reads that need SQLite, each once everything journaled has reached it (`flush`). */
export function storedEventReads(store: SqliteStore, flush: () => Promise<void>) {
  return {
    /** A finished job's events. */
    async readStoredEvents(jobId: string, afterSeq: number): Promise<EventRange | null> {
      await flush();
      const job = store.getJob(jobId);
      if (!job) return null;
      const rows = store.eventsAfter(jobId, afterSeq);
      const firstSeq = store.firstSeq(jobId) ?? 1;
      const lastSeq = rows.length ? rows[rows.length - 1]!.seq : Math.max(afterSeq, firstSeq - 1);
      return { lines: rows.map((r) => r.line), firstSeq, lastSeq, final: true, ...epochOf(job) };
    },

    /** A running job's events from before the ones it holds in memory: SQLite's, then memory's after them. */
    async readShedEvents(a: ActiveJob, afterSeq: number): Promise<EventRange> {
      await flush();
      const rows = store.eventsAfter(a.job.id, afterSeq);
      const storedThrough = rows.length ? rows[rows.length - 1]!.seq : afterSeq;
      const lines = rows.map((r) => r.line);
      for (const line of a.log.after(Math.max(storedThrough, a.log.firstSeq - 1))) lines.push(line);
      return { lines, firstSeq: store.firstSeq(a.job.id) ?? a.log.keptFrom, lastSeq: a.log.lastSeq, final: false, ...epochOf(a.job) };
    },
  };
}
