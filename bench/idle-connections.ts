import { settle, type Benchmark } from './benchmark.ts';
import type { Closable } from './targets/target.ts';

export interface IdleResult {
  /** Server resident memory added per open idle connection, in bytes. */
  rssBytesPerConnection: number;
  /** JS heap retained per open idle connection (after a full GC), in bytes. */
  heapBytesPerConnection: number;
}

/**
 * Idle connections: open `count` authenticated connections that then do nothing, and read how
 * much the server's memory grew per connection (after letting it settle and collecting garbage).
 */
export const idleConnectionsBenchmark: Benchmark<IdleResult> = {
  key: 'idle',
  title: (s) => `Idle authenticated connections: ${s.idle}`,
  columns: [
    ['rssBytesPerConnection', 'RSS bytes/conn'],
    ['heapBytesPerConnection', 'JS heap bytes/conn'],
  ],
  async run(target, { idle: count }) {
    await settle();
    const before = await target.probe(true);
    const open: Closable[] = [];
    // In batches: a storm of handshakes is a different benchmark.
    for (let i = 0; i < count; i += 100) open.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, () => target.connect()))));
    await settle();
    const after = await target.probe(true);
    open.forEach((c) => c.close());
    await settle();
    return {
      rssBytesPerConnection: Math.max(0, (after.rssBytes - before.rssBytes) / count),
      heapBytesPerConnection: Math.max(0, (after.heapUsedBytes - before.heapUsedBytes) / count),
    };
  },
};
