import { withServerCpu, type Benchmark } from './benchmark.ts';
import type { Closable, Target } from './targets/target.ts';

export interface QueueThroughputResult {
  /** Short jobs finished per second, from the first submit to the last result. */
  jobsPerSecond: number;
  /** Server CPU per job (for BullMQ, Redis's alone). */
  cpuMicros: number;
}

/**
 * `clients` each submitting `jobsEach` short jobs at once to `workers` workers of `slots` slots that
 * answer at once: jobs per second until the last result, and the server's CPU per job. Here with
 * many clients and multi-slot workers, through the embedded gateway, two gateways sharing Redis,
 * and BullMQ on its own Redis (add → process → completed event) in the same run (issue #30: the
 * Redis engine within 2× of the embedded one, and ahead of BullMQ), and the raw relays (alone and
 * split over Redis) as the ceiling: they queue nothing and keep nothing, so their jobs/s is the most
 * any gateway over WebSocket could reach here; many-workers.ts with one client
 * and ever more one-slot workers.
 */
export async function throughput(target: Target, clients: number, jobsEach: number, workers: number, slots: number): Promise<QueueThroughputResult> {
  const pool: Closable[] = [];
  for (let i = 0; i < workers; i++) pool.push(await target.worker(slots, (_job, _prompt, reply) => reply.result(null)));
  const submitters = await Promise.all(Array.from({ length: clients }, () => target.client()));
  const total = clients * jobsEach;
  let seconds = 0;
  const { cpuMicros } = await withServerCpu(target, async () => {
    const started = performance.now();
    let done = 0;
    await new Promise<void>((resolve) => {
      for (let j = 0; j < jobsEach; j++) for (const c of submitters) c.submit('short', { result: () => ++done === total && resolve() });
    });
    seconds = (performance.now() - started) / 1000;
  });
  for (const c of submitters) c.close();
  for (const w of pool) w.close();
  return { jobsPerSecond: total / seconds, cpuMicros: cpuMicros / total };
}

export const queueThroughputBenchmark: Benchmark<QueueThroughputResult> = {
  key: 'queueThroughput',
  // Each round on servers of their own (a fresh Redis for BullMQ): one round's leftovers must not slow the next.
  takes: (t) => (t.queues === true || t.queueless === true) && t.fresh !== undefined,
  title: (s) => `Queue throughput: ${s.throughputClients} clients × ${s.throughputJobsEach} short jobs at once, ${s.throughputWorkers} workers × ${s.throughputSlots} slots`,
  columns: [
    ['jobsPerSecond', 'jobs/s'],
    ['cpuMicros', 'server µs/job'],
  ],
  async run(target, { throughputClients, throughputJobsEach, throughputWorkers, throughputSlots }) {
    const fresh = await target.fresh!();
    try {
      return await throughput(fresh, throughputClients, throughputJobsEach, throughputWorkers, throughputSlots);
    } finally {
      await fresh.stop();
    }
  },
};
