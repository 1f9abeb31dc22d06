import { withServerCpu, type Benchmark } from './benchmark.ts';
import type { Closable, Target } from './targets/target.ts';

export interface ManyWorkersResult {
  /** Short jobs finished per second with 1, 100 and 1,000 one-slot workers connected. */
  oneWorker: number;
  hundredWorkers: number;
  thousandWorkers: number;
  /** Server CPU per job with the most workers. */
  thousandCpuMicros: number;
}

/**
 * `workers` one-slot workers that answer at once, then `jobs` submitted together by one client:
 * jobs per second until the last result, and the server's CPU per job — what a dispatch costs as
 * the number of connected workers grows (issue #30 asks for O(1) or O(log n) in workers).
 */
async function throughput(target: Target, workers: number, jobs: number): Promise<{ perSecond: number; cpuMicros: number }> {
  const connected: Closable[] = [];
  for (let i = 0; i < workers; i++) connected.push(await target.worker(1, (_job, _prompt, reply) => reply.result(null)));
  const client = await target.client();
  let seconds = 0;
  const { cpuMicros } = await withServerCpu(target, async () => {
    const started = performance.now();
    let done = 0;
    await new Promise<void>((resolve) => {
      for (let i = 0; i < jobs; i++) client.submit('short', { result: () => ++done === jobs && resolve() });
    });
    seconds = (performance.now() - started) / 1000;
  });
  client.close();
  for (const w of connected) w.close();
  return { perSecond: jobs / seconds, cpuMicros: cpuMicros / jobs };
}

export const manyWorkersBenchmark: Benchmark<ManyWorkersResult> = {
  key: 'manyWorkers',
  // Each count on gateways of its own (run makes them): a thousand closed workers must not weigh on the next count.
  ratios: false,
  oneRound: true,
  timeoutMs: 15 * 60_000,
  takes: (t) => t.queues === true && t.fresh !== undefined,
  title: (s) => `Many workers: ${s.manyWorkerJobs.toLocaleString('en-US')} short jobs at once, with ${s.workerCounts.map((n) => n.toLocaleString('en-US')).join(' / ')} one-slot workers`,
  columns: [
    ['oneWorker', 'jobs/s, 1st count'],
    ['hundredWorkers', 'jobs/s, 2nd'],
    ['thousandWorkers', 'jobs/s, 3rd'],
    ['thousandCpuMicros', 'server µs/job, 3rd'],
  ],
  async run(target, { workerCounts, manyWorkerJobs }) {
    const at = [];
    for (const count of workerCounts) {
      const fresh = await target.fresh!();
      try {
        at.push(await throughput(fresh, count, manyWorkerJobs));
      } finally {
        await fresh.stop();
      }
    }
    return { oneWorker: at[0]!.perSecond, hundredWorkers: at[1]!.perSecond, thousandWorkers: at[2]!.perSecond, thousandCpuMicros: at[2]!.cpuMicros };
  },
};
