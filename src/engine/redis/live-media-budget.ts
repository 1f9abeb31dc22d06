interface Stored {
  id: string;
  bytes: number;
  /** When Redis expires it by itself. */
  until: number;
}

/**
 * The live-media files one instance stored in Redis and not yet expired, oldest first, held to a
 * budget of bytes: a worker streaming frames faster than they expire (each is kept
 * `liveMediaMs`) would otherwise fill Redis — whose memory every job shares, and which refuses
 * every write once full. Past the budget the oldest go first, as the embedded engine's ring lets
 * its oldest go: the files still wanted are the newest (a client replaying after a reconnect).
 * Each instance keeps its own account, so Redis holds at most the instances × the budget.
 */
export class LiveMediaBudget {
  private readonly stored: Stored[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly budgetBytes: number,
    private readonly keepMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a file just stored; returns the ids of those to delete now to stay within the budget. */
  add(id: string, bytes: number): string[] {
    const now = this.now();
    this.stored.push({ id, bytes, until: now + this.keepMs });
    this.bytes += bytes;
    const over: string[] = [];
    while (this.head < this.stored.length) {
      const oldest = this.stored[this.head]!;
      const expired = oldest.until <= now;
      if (!expired && this.bytes <= this.budgetBytes) break;
      if (!expired) over.push(oldest.id);
      this.bytes -= oldest.bytes;
      this.head += 1;
    }
    // The dropped front is cut off now and then, not on every file.
    if (this.head > 1024 && this.head * 2 > this.stored.length) {
      this.stored.splice(0, this.head);
      this.head = 0;
    }
    return over;
  }
}
