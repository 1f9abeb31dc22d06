import type { JobEnd } from '../core/telemetry.ts';

/** One interval of a space's activity: its queue and running jobs at the end, and the jobs that ended in it. */
export interface ActivitySample {
  /** The interval's end, ms since the epoch. */
  t: number;
  queued: number;
  running: number;
  completed: number;
  /** Failed, timed out or cancelled. */
  failed: number;
  /** Wait (submit → start) and run (start → end) of the jobs that ended, in ms: medians and 95th percentiles (null when none ended). */
  wait_p50: number | null;
  wait_p95: number | null;
  run_p50: number | null;
  run_p95: number | null;
}

/** Intervals kept per space: an hour at the default 10 s. */
const KEPT = 360;
/** Durations kept per space per interval for its percentiles (the first ones; the counts count all). */
const DURATIONS_PER_INTERVAL = 2000;

interface Open {
  completed: number;
  failed: number;
  waits: number[];
  runs: number[];
}

/**
 * Each space's recent activity, in fixed intervals, for the admin's charts and the space cards'
 * sparklines: jobs ended and their times are gathered as they end (metrics telemetry tells this),
 * and at each interval's end the queue and running counts are read and the interval is closed.
 * Bounded: KEPT samples per space and DURATIONS_PER_INTERVAL durations per interval; a space that
 * is gone is dropped at the next close.
 */
export class SpaceActivity {
  private readonly open = new Map<string, Open>();
  private readonly samples = new Map<string, ActivitySample[]>();

  constructor(readonly intervalMs: number) {}

  ended(end: JobEnd): void {
    let o = this.open.get(end.space);
    if (!o) this.open.set(end.space, (o = { completed: 0, failed: 0, waits: [], runs: [] }));
    if (end.state === 'completed') o.completed += 1;
    else o.failed += 1;
    if (o.waits.length >= DURATIONS_PER_INTERVAL) return;
    o.waits.push((end.startedAt ?? end.endedAt) - end.createdAt);
    if (end.startedAt !== undefined) o.runs.push(end.endedAt - end.startedAt);
  }

  /** Closes the interval: `spaces` are the spaces there are now, with their queue and running jobs. */
  close(now: number, spaces: Array<{ space: string; queued: number; running: number }>): void {
    const present = new Set(spaces.map((s) => s.space));
    for (const name of this.samples.keys()) if (!present.has(name)) this.samples.delete(name);
    for (const { space, queued, running } of spaces) {
      const o = this.open.get(space) ?? { completed: 0, failed: 0, waits: [], runs: [] };
      let list = this.samples.get(space);
      if (!list) this.samples.set(space, (list = []));
      list.push({
        t: now,
        queued,
        running,
        completed: o.completed,
        failed: o.failed,
        wait_p50: quantile(o.waits, 0.5),
        wait_p95: quantile(o.waits, 0.95),
        run_p50: quantile(o.runs, 0.5),
        run_p95: quantile(o.runs, 0.95),
      });
      if (list.length > KEPT) list.splice(0, list.length - KEPT);
    }
    this.open.clear();
  }

  history(space: string): ActivitySample[] {
    return this.samples.get(space) ?? [];
  }
}

function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
