/**
 * Writes gathered during one turn of the event loop, made durable together by one commit at its
 * end (setImmediate), each caller resolved once its write is durable. Run at the end of the turn
 * rather than at once, the commit comes after whatever the callers set off before waiting for it —
 * a job handed to a worker leaves on its socket first — and a burst of submits pays for one commit.
 */
export class GroupCommit {
  private waiting: Array<{ write: () => void; done: (err?: unknown) => void }> = [];

  constructor(private readonly transaction: (writes: () => void) => void) {}

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
    try {
      this.transaction(() => {
        for (const w of batch) w.write();
      });
    } catch (err) {
      for (const w of batch) w.done(err);
      return;
    }
    for (const w of batch) w.done();
  }
}
