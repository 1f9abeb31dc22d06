import { withServerCpu, type Benchmark } from './benchmark.ts';
import type { Target } from './targets/target.ts';

export interface DeepQueueResult {
  /** Wall time per job dispatched and finished, in microseconds, with the smallest, middle and largest depth queued behind it. */
  shallowMicros: number;
  middleMicros: number;
  deepMicros: number;
  /** Server CPU per job at the largest depth. */
  deepCpuMicros: number;
}

/**
 * `depth` jobs queued (no worker yet), then a one-slot worker that answers at once: the time and
 * server CPU of the first `measured` dispatches, each with the rest of the queue behind it — what a
 * dispatch costs as the queue grows (issue #26 asks for O(log n)). Every client is told its new
 * position as the queue moves, so this counts those pushes too.
 */
async function dispatchBehind(target: Target, depth: number, measured: number): Promise<{ micros: number; cpuMicros: number }> {
  const client = await target.client();
  let accepted = 0;
  await new Promise<void>((resolve) => {
    for (let i = 0; i < depth; i++) client.submit('queued', { accepted: () => ++accepted === depth && resolve(), result: () => {} });
  });
  let seconds = 0;
  const { cpuMicros } = await withServerCpu(target, async () => {
    let taken = 0;
    const started = performance.now();
    let worker: { close(): void } | undefined;
    await new Promise<void>((resolve) => {
      void target
        .worker(1, (_job, _prompt, reply) => {
          reply.result(null);
          if (++taken === measured) resolve();
        })
        .then((w) => (worker = w));
    });
    seconds = (performance.now() - started) / 1000;
    worker?.close();
  });
  client.close();
  return { micros: (seconds * 1e6) / measured, cpuMicros: cpuMicros / measured };
}

export const deepQueueBenchmark: Benchmark<DeepQueueResult> = {
  key: 'deepQueue',
  // Each depth on a gateway of its own (run makes them): the queue a round leaves behind must not be the next one's.
  ratios: false,
  oneRound: true,
  timeoutMs: 15 * 60_000,
  takes: (t) => t.queues === true && t.name === 'spaceport gateway',
  title: (s) => `Dispatch with a deep queue: ${s.queueMeasured} jobs taken from ${s.queueDepths.map((d) => d.toLocaleString('en-US')).join(' / ')} queued`,
  columns: [
    ['shallowMicros', 'µs/job, shallow'],
    ['middleMicros', 'µs/job, middle'],
    ['deepMicros', 'µs/job, deep'],
    ['deepCpuMicros', 'server µs/job, deep'],
  ],
  async run(target, { queueDepths, queueMeasured }) {
    const at = [];
    for (const depth of queueDepths) {
      const fresh = target.fresh ? await target.fresh() : target;
      try {
        at.push(await dispatchBehind(fresh, depth, Math.min(queueMeasured, depth)));
      } finally {
        if (fresh !== target) await fresh.stop();
      }
    }
    return { shallowMicros: at[0]!.micros, middleMicros: at[1]!.micros, deepMicros: at[2]!.micros, deepCpuMicros: at[2]!.cpuMicros };
  },
};
