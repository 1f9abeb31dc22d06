/** Reconnect delays: exponential from `minMs` to `maxMs`, with ±20% jitter so a fleet does not retry in step. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly minMs = 250,
    private readonly maxMs = 10_000,
  ) {}

  /** The next delay; `capMs` bounds it below `maxMs` for this try (a caller in a hurry, e.g. holding work). */
  next(capMs = this.maxMs): number {
    const base = Math.min(capMs, this.maxMs, this.minMs * 2 ** this.attempt++);
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  reset(): void {
    this.attempt = 0;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
