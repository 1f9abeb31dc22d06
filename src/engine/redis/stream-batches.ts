import type { LeaseHolder, StreamedJob } from '../../core/engine-port.ts';

interface Batch {
  job: StreamedJob;
  holder: LeaseHolder;
  /** head1, tail1, head2, tail2, …: each event's line around its seq. */
  lines: string[];
  kept: Promise<boolean>;
  settle(kept: boolean): void;
  fail(err: unknown): void;
}

/** Sends one batch: resolves true when it was appended (and published), false when the holder lost the job. */
export type SendBatch = (job: StreamedJob, holder: LeaseHolder, lines: string[]) => Promise<boolean>;

/**
 * Gathers a job's streamed events that arrive in the same turn of the event loop into one script
 * call (a fast model's tokens come hundreds to a TCP read): one round trip, one script run and one
 * PUBLISH for the lot instead of one each. Every event of a batch gets the batch's one promise —
 * per token, nothing is allocated but its two strings.
 *
 * Order with everything else is kept by `flush()`: whoever is about to send any other command
 * for a job calls it first, so a result can never overtake the tokens gathered before it.
 */
export class StreamBatches {
  /** By holder object: one per job attempt held on this instance, so no key is built per event. */
  private batches = new Map<LeaseHolder, Batch>();
  private scheduled = false;

  constructor(private readonly send: SendBatch) {}

  add(job: StreamedJob, holder: LeaseHolder, head: string, tail: string): Promise<boolean> {
    let batch = this.batches.get(holder);
    if (!batch) this.batches.set(holder, (batch = newBatch(job, holder)));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    batch.lines.push(head, tail);
    return batch.kept;
  }

  /** Sends every gathered batch now (their commands are issued before the caller's next one). */
  flush(): void {
    this.scheduled = false;
    if (this.batches.size === 0) return;
    const batches = [...this.batches.values()];
    this.batches.clear();
    for (const b of batches) this.send(b.job, b.holder, b.lines).then(b.settle, b.fail);
  }
}

function newBatch(job: StreamedJob, holder: LeaseHolder): Batch {
  let settle!: (kept: boolean) => void;
  let fail!: (err: unknown) => void;
  const kept = new Promise<boolean>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  return { job, holder, lines: [], kept, settle, fail };
}
