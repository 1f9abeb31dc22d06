import { addInto, count, quantileOf } from '../core/duration-histogram.ts';
import type { ActivityPart, JobEnd } from '../core/telemetry.ts';

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

type Stored = Omit<ActivityPart, 'space'> & { t: number };

const empty = (): Omit<ActivityPart, 'space' | 'queued' | 'running'> => ({ completed: 0, failed: 0, wait: {}, run: {} });

/**
 * Each space's recent activity, in fixed intervals, for the admin's charts and the space cards'
 * sparklines, the same on every instance: each gathers the jobs that ended on it (metrics
 * telemetry tells this), and at each interval's end tells every instance (itself too) its part —
 * counts and duration histograms, which add up exactly — with the queue and running counts it
 * read. Parts are merged by interval (the end rounded to the interval). Bounded: KEPT samples per
 * space; a space none of the parts names is dropped.
 */
export class SpaceActivity {
  private open = new Map<string, ReturnType<typeof empty>>();
  private readonly samples = new Map<string, Stored[]>();

  constructor(readonly intervalMs: number) {}

  ended(end: JobEnd): void {
    let o = this.open.get(end.space);
    if (!o) this.open.set(end.space, (o = empty()));
    if (end.state === 'completed') o.completed += 1;
    else o.failed += 1;
    count(o.wait, (end.startedAt ?? end.endedAt) - end.createdAt);
    if (end.startedAt !== undefined) count(o.run, end.endedAt - end.startedAt);
  }

  /** Closes this instance's interval: `spaces` are the spaces there are now, with their queue and running jobs; its parts, to tell every instance. */
  close(now: number, spaces: Array<{ space: string; queued: number; running: number }>): { t: number; parts: ActivityPart[] } {
    const parts = spaces.map(({ space, queued, running }) => ({ space, queued, running, ...(this.open.get(space) ?? empty()) }));
    this.open = new Map();
    return { t: Math.round(now / this.intervalMs) * this.intervalMs, parts };
  }

  /** An instance's parts for the interval ending at `t` (this instance's own too). */
  receive(t: number, parts: ActivityPart[]): void {
    const present = new Set(parts.map((p) => p.space));
    for (const name of this.samples.keys()) if (!present.has(name)) this.samples.delete(name);
    for (const part of parts) {
      let list = this.samples.get(part.space);
      if (!list) this.samples.set(part.space, (list = []));
      let i = list.length;
      while (i > 0 && list[i - 1]!.t > t) i--;
      const same = list[i - 1]?.t === t ? list[i - 1] : undefined;
      if (!same) {
        list.splice(i, 0, { t, queued: part.queued, running: part.running, ...empty() });
        if (list.length > KEPT) list.splice(0, list.length - KEPT);
      }
      const into = same ?? list.find((s) => s.t === t);
      if (!into) continue; // older than all kept
      // Queue and slots are the same for all (read from the shared engine): the latest reading stands.
      Object.assign(into, { queued: part.queued, running: part.running, completed: into.completed + part.completed, failed: into.failed + part.failed });
      addInto(into.wait, part.wait);
      addInto(into.run, part.run);
    }
  }

  history(space: string): ActivitySample[] {
    return (this.samples.get(space) ?? []).map((s) => ({
      t: s.t,
      queued: s.queued,
      running: s.running,
      completed: s.completed,
      failed: s.failed,
      wait_p50: quantileOf(s.wait, 0.5),
      wait_p95: quantileOf(s.wait, 0.95),
      run_p50: quantileOf(s.run, 0.5),
      run_p95: quantileOf(s.run, 0.95),
    }));
  }
}
