import { settle, type Benchmark } from './benchmark.ts';
import type { ProbeReport } from './server-probe.ts';
import type { Closable } from './targets/target.ts';

export interface IdleResult {
  /** Server resident memory added per open idle connection, in bytes. */
  rssBytesPerConnection: number;
  /** JS heap retained per open idle connection (after a full GC), in bytes. */
  heapBytesPerConnection: number;
}

const STEPS = 5;

/** Least-squares slope of y over x: growth per connection, robust to one step's GC or paging. */
function slope(points: Array<[x: number, y: number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

/**
 * Idle connections: open `count` authenticated connections that then do nothing, in five steps;
 * RSS per connection is the slope of the server's RSS across the steps, the JS heap per connection
 * its growth after a full GC from before the first to after the last. Two readings alone are at the mercy of when V8 grows or gives back its heap
 * (RSS moves in megabytes at a time), which swamps a few kilobytes per connection.
 */
export const idleConnectionsBenchmark: Benchmark<IdleResult> = {
  key: 'idle',
  title: (s) => `Idle authenticated connections: ${s.idle}`,
  columns: [
    ['rssBytesPerConnection', 'RSS bytes/conn'],
    ['heapBytesPerConnection', 'JS heap bytes/conn'],
  ],
  // RSS is what a process's history makes it: on servers that had run the other benchmarks the raw
  // relay's slope ranged from below zero (reusing memory freed earlier) to 8.7 KB per connection;
  // on servers just started it repeats within a few percent.
  freshServers: true,
  async run(target, { idle: count }) {
    const open: Closable[] = [];
    // The heap after a full GC before and after; RSS at each step with no GC forced in between
    // (a forced GC hands pages back to the OS unpredictably).
    const heapBefore = (await target.probe(true)).heapUsedBytes;
    const readings: Array<[number, ProbeReport]> = [];
    for (let step = 1; step <= STEPS; step++) {
      const goal = Math.round((count * step) / STEPS);
      // In batches of 100: a storm of handshakes is a different benchmark.
      while (open.length < goal) open.push(...(await Promise.all(Array.from({ length: Math.min(100, goal - open.length) }, () => target.connect()))));
      await settle();
      readings.push([open.length, await target.probe()]);
    }
    const heapAfter = (await target.probe(true)).heapUsedBytes;
    open.forEach((c) => c.close());
    await settle();
    return {
      rssBytesPerConnection: slope(readings.map(([n, p]) => [n, p.rssBytes])),
      heapBytesPerConnection: (heapAfter - heapBefore) / open.length,
    };
  },
};
