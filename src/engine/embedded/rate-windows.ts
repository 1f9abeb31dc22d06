import type { RateWindows } from '../../core/ports/records.ts';

/** Keys counted before the old windows' entries are swept (a caller who stopped leaves one entry behind until then). */
const SWEEP_AT = 10_000;

/** Fixed-window counters in memory, aligned to the clock, for an engine that is the only instance (embedded, and the tests' memory engine). */
export function memoryRateWindows(now: () => number = Date.now): RateWindows {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    countInWindow(key, windowMs) {
      const at = now();
      const start = at - (at % windowMs);
      if (windows.size >= SWEEP_AT) for (const [k, w] of windows) if (w.start < start) windows.delete(k);
      let w = windows.get(key);
      if (!w || w.start !== start) windows.set(key, (w = { start, count: 0 }));
      w.count += 1;
      return { count: w.count, resetInMs: start + windowMs - at };
    },
  };
}
