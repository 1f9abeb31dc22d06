import type { Benchmark } from './benchmark.ts';
import { throughput } from './queue-throughput.ts';

export interface ManyWorkersResult {
  /** Short jobs finished per second with 1, 100 and 1,000 one-slot workers connected. */
  oneWorker: number;
  hundredWorkers: number;
  thousandWorkers: number;
  /** Server CPU per job with the most workers. */
  thousandCpuMicros: number;
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
        // One client submitting them all to `count` one-slot workers: a dispatch's cost as the workers grow (issue #30 asks for O(1) or O(log n) in workers).
        at.push(await throughput(fresh, 1, manyWorkerJobs, count, 1));
      } finally {
        await fresh.stop();
      }
    }
    return { oneWorker: at[0]!.jobsPerSecond, hundredWorkers: at[1]!.jobsPerSecond, thousandWorkers: at[2]!.jobsPerSecond, thousandCpuMicros: at[2]!.cpuMicros };
  },
};
