import { settle, type Benchmark } from './benchmark.ts';

export interface LongStreamResult {
  /** JS heap growth (after a full GC) per token over the first half of the stream, in bytes. */
  heapBytesPerTokenFirstHalf: number;
  /** The same over the second half: flat once the job's bounded event log is full. */
  heapBytesPerTokenSecondHalf: number;
  /** Heap still held once the job has ended, against before it started. */
  heapRetainedAfterEndBytes: number;
}

/**
 * A long token stream: one job of `longTokens` tokens, paused at its middle and its end (the
 * worker waits while the server's heap is measured after a full GC), then finished.
 */
export const longStreamBenchmark: Benchmark<LongStreamResult> = {
  key: 'longStream',
  title: (s) => `Long token stream: one job of ${s.longTokens} tokens, heap after GC`,
  columns: [
    ['heapBytesPerTokenFirstHalf', 'heap B/token, 1st half'],
    ['heapBytesPerTokenSecondHalf', 'heap B/token, 2nd half'],
    ['heapRetainedAfterEndBytes', 'heap retained after end, B'],
  ],
  ratios: false,
  async run(target, { longTokens }) {
    const half = Math.floor(longTokens / 2);
    let received = 0;
    let waiting: { count: number; resolve: () => void } | undefined;
    const receivedAll = (count: number) => new Promise<void>((resolve) => (received >= count ? resolve() : (waiting = { count, resolve })));
    const gates = [gate(), gate()];
    const worker = await target.worker(1, async (_job, _prompt, reply) => {
      for (let i = 0; i < longTokens; i++) {
        if (i === half) await gates[0]!.promise;
        reply.token('tok ');
      }
      await gates[1]!.promise;
      reply.result({});
    });
    const client = await target.client();
    await settle();
    const before = await target.probe(true);
    const ended = new Promise<void>((resolve) =>
      client.submit('long', {
        token: () => {
          received++;
          if (waiting && received >= waiting.count) waiting.resolve();
        },
        result: () => resolve(),
      }),
    );
    await receivedAll(half);
    const middle = await target.probe(true);
    gates[0]!.open();
    await receivedAll(longTokens);
    const end = await target.probe(true);
    gates[1]!.open();
    await ended;
    await settle();
    const after = await target.probe(true);
    client.close();
    worker.close();
    return {
      heapBytesPerTokenFirstHalf: (middle.heapUsedBytes - before.heapUsedBytes) / half,
      heapBytesPerTokenSecondHalf: (end.heapUsedBytes - middle.heapUsedBytes) / (longTokens - half),
      heapRetainedAfterEndBytes: after.heapUsedBytes - before.heapUsedBytes,
    };
  },
};

function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
