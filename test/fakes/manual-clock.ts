import type { Clock } from '../../src/core/clock.ts';

interface Timer {
  at: number;
  every: number | null;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when a test says so: `advance(ms)` runs every timer that falls due on
 * the way, in time order (with the promises each one starts settled before the next), so a grace
 * period or a retention window passes in a line, the same way every run.
 */
export class ManualClock implements Clock {
  private timers: Timer[] = [];

  constructor(private time = 1_700_000_000_000) {}

  now(): number {
    return this.time;
  }

  after(ms: number, fn: () => void): () => void {
    return this.add({ at: this.time + ms, every: null, fn, cancelled: false });
  }

  every(ms: number, fn: () => void): () => void {
    return this.add({ at: this.time + ms, every: ms, fn, cancelled: false });
  }

  /** Moves time forward by `ms`, running what falls due (and letting its promises settle). */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      const next = this.timers.filter((t) => !t.cancelled && t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.time = next.at;
      if (next.every === null) next.cancelled = true;
      else next.at += next.every;
      next.fn();
      await settle();
    }
    this.time = until;
    this.timers = this.timers.filter((t) => !t.cancelled);
    await settle();
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  private add(timer: Timer): () => void {
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }
}

/** Lets the promises already started run to their end (a few turns of microtasks and one of the event loop). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}
