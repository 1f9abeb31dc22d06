/** What GroupCommit needs of a log: a commit of many writes, each of which can fail alone. */
export interface CommitLog {
  commit(writes: () => void): void;
  /** Inside commit: runs one caller's writes; if they throw, they are left out and the error returned. */
  attempt(write: () => void): unknown;
}

/**
 * Writes gathered during one turn of the event loop, made durable together by one commit at its
 * end (setImmediate), each caller resolved once its write is durable. Run at the end of the turn
 * rather than at once, the commit comes after whatever the callers set off before waiting for it —
 * a job handed to a worker leaves on its socket first — and a burst of submits pays for one commit.
 * A write that throws (a record that cannot be written) fails its own caller only; a commit that
 * fails (the disk) fails them all.
 */
export class GroupCommit {
  private waiting: Array<{ write: () => void; done: (err?: unknown) => void }> = [];

  constructor(private readonly log: CommitLog) {}

  commit(write: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => this.commitNow());
      this.waiting.push({ write, done: (err) => (err === undefined ? resolve() : reject(err)) });
    });
  }

  /** Commits what is waiting now (at the scheduled time, or when the store is about to close). */
  commitNow(): void {
    const batch = this.waiting;
    if (batch.length === 0) return;
    this.waiting = [];
    const failed = new Array<unknown>(batch.length);
    try {
      this.log.commit(() => {
        for (let i = 0; i < batch.length; i++) failed[i] = this.log.attempt(batch[i]!.write);
      });
    } catch (err) {
      for (const w of batch) w.done(err);
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.done(failed[i]);
  }
}
