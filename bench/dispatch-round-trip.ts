import { withServerCpu, type Benchmark } from './benchmark.ts';
import { quantile } from './stats.ts';
import type { Target } from './targets/target.ts';

export interface RoundTripResult {
  p50Micros: number;
  p99Micros: number;
  /** Server CPU per round trip (submit, dispatch, result), in microseconds. */
  serverCpuMicros: number;
}

/**
 * Dispatch round trip: one client, one worker, one job at a time. Timed from submit to result,
 * through everything a job passes: accept, queue, assignment to a free slot, the worker's reply.
 */
async function dispatchRoundTrip(target: Target, jobs: number): Promise<RoundTripResult> {
  const worker = await target.worker(1, (_job, prompt, reply) => reply.result({ echo: prompt }));
  const client = await target.client();
  const once = () => new Promise<void>((resolve) => client.submit('ping', { result: () => resolve() }));
  for (let i = 0; i < Math.min(50, jobs); i++) await once(); // warm up JIT and caches
  const samples: number[] = [];
  const { cpuMicros } = await withServerCpu(target, async () => {
    for (let i = 0; i < jobs; i++) {
      const t0 = performance.now();
      await once();
      samples.push((performance.now() - t0) * 1000);
    }
  });
  client.close();
  worker.close();
  return { p50Micros: quantile(samples, 0.5), p99Micros: quantile(samples, 0.99), serverCpuMicros: cpuMicros / jobs };
}

export const roundTripBenchmark: Benchmark<RoundTripResult> = {
  key: 'dispatchRoundTrip',
  steady: true,
  title: (s) => `Dispatch round trip: ${s.jobs} jobs, one at a time`,
  columns: [
    ['p50Micros', 'p50 µs'],
    ['p99Micros', 'p99 µs'],
    ['serverCpuMicros', 'server µs/job'],
  ],
  run: (t, s) => dispatchRoundTrip(t, s.jobs),
  warmUp: (t, s) => dispatchRoundTrip(t, s.jobs),
};
