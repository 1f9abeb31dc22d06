/**
 * Honest queue ETAs: an exponentially weighted average of how long jobs of a space actually ran,
 * divided across the slots serving it. With no workers, or no finished job yet, the ETA is unknown
 * (null) rather than invented.
 */
export class DurationEstimate {
  private average: number | null = null;

  constructor(private readonly weight = 0.2) {}

  record(durationMs: number): void {
    this.average = this.average === null ? durationMs : this.average + this.weight * (durationMs - this.average);
  }

  get averageMs(): number | null {
    return this.average;
  }

  /** ETA for a job with `ahead` jobs before it in the queue, given the space's total slots. */
  etaMs(ahead: number, slots: number): number | null {
    if (this.average === null || slots <= 0) return null;
    return Math.round(Math.ceil((ahead + 1) / slots) * this.average);
  }
}
