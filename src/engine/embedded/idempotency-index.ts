import type { Job } from '../../core/types.ts';

/** How long an ended job's key stays in memory: past the time its row takes to reach SQLite (applyMs, 1 s by default). */
const RECENT_MS = 60_000;

/**
 * Which job a submit's idempotency key made (Job.idempotency), for the embedded engine: the
 * unfinished jobs' keys in memory, the ended ones in SQLite (an index on the key). A job that just
 * ended may not be in SQLite yet (the journal is applied every applyMs), so its key stays in memory
 * for a minute after. Every step is synchronous: a submit checks and claims its key in one turn.
 */
export class IdempotencyIndex {
  private readonly running = new Map<string, string>();
  private readonly recent = new Map<string, { id: string; at: number }>();

  constructor(private readonly stored: (key: string) => string | null) {}

  find(key: string): string | null {
    this.prune();
    return this.running.get(key) ?? this.recent.get(key)?.id ?? this.stored(key);
  }

  started(job: Job): void {
    if (job.idempotency) this.running.set(job.idempotency.key, job.id);
  }

  ended(job: Job): void {
    if (!job.idempotency || this.running.get(job.idempotency.key) !== job.id) return;
    this.running.delete(job.idempotency.key);
    this.recent.set(job.idempotency.key, { id: job.id, at: Date.now() });
  }

  /** A submit that was not accepted after all: its key names nothing. */
  forget(job: Job): void {
    if (job.idempotency && this.running.get(job.idempotency.key) === job.id) this.running.delete(job.idempotency.key);
  }

  /** Jobs retention deleted: their keys name nothing any more. */
  purged(ids: string[]): void {
    const gone = new Set(ids);
    for (const [key, { id }] of this.recent) if (gone.has(id)) this.recent.delete(key);
  }

  private prune(): void {
    const before = Date.now() - RECENT_MS;
    for (const [key, { at }] of this.recent) {
      if (at >= before) break; // in insertion order: the rest are newer
      this.recent.delete(key);
    }
  }
}
