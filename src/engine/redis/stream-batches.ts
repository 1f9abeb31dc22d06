import type { JobEvent } from '../../core/job-events.ts';
import type { Appended, LeaseHolder } from '../types.ts';

/** The events a worker streams; the only ones worth gathering (finals and state changes go alone). */
export const STREAMED_TYPES: ReadonlySet<JobEvent['type']> = new Set(['token', 'progress', 'partial']);

interface Pending {
  head: string;
  tail: string;
  resolve(appended: Appended | null): void;
  reject(err: unknown): void;
}

interface Batch {
  jobId: string;
  holder: LeaseHolder;
  items: Pending[];
}

/** Sends one batch: returns the seq of its first event, or null when the holder lost the job. */
export type SendBatch = (jobId: string, holder: LeaseHolder, lines: Array<[head: string, tail: string]>) => Promise<number | null>;

/**
 * Gathers a job's streamed events that arrive in the same turn of the event loop into one script
 * call (a fast model's tokens come many to a TCP read): one round trip and one script run for the
 * lot instead of one each. Each caller still gets its own seq and line, in order.
 *
 * Order with everything else is kept by `flush()`: whoever is about to send any other command
 * for a job calls it first, so a result can never overtake the tokens gathered before it.
 */
export class StreamBatches {
  private batches = new Map<string, Batch>();
  private scheduled = false;

  constructor(private readonly send: SendBatch) {}

  add(jobId: string, holder: LeaseHolder, head: string, tail: string): Promise<Appended | null> {
    const key = `${jobId}\u0000${holder.workerId}\u0000${holder.attempt}`;
    let batch = this.batches.get(key);
    if (!batch) this.batches.set(key, (batch = { jobId, holder, items: [] }));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return new Promise((resolve, reject) => batch.items.push({ head, tail, resolve, reject }));
  }

  /** Sends every gathered batch now (their commands are issued before the caller's next one). */
  flush(): void {
    this.scheduled = false;
    if (this.batches.size === 0) return;
    const batches = [...this.batches.values()];
    this.batches.clear();
    for (const { jobId, holder, items } of batches) {
      this.send(jobId, holder, items.map((i) => [i.head, i.tail])).then(
        (first) => items.forEach((item, i) => item.resolve(first === null ? null : { seq: first + i, line: item.head + (first + i) + item.tail })),
        (err) => items.forEach((item) => item.reject(err)),
      );
    }
  }
}
