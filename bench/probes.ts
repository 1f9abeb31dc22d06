import type { Benchmark } from './benchmark.ts';
import { quantile } from './stats.ts';
import type { Target } from './targets/target.ts';

export interface ProbesResult {
  /** Median latency of each probe with `history` finished jobs kept, in milliseconds. */
  healthMs: number;
  metricsMs: number;
  spacesMs: number;
}

/** `jobs` short jobs through a worker with many slots, submitted in waves so the queue stays short. */
async function fill(target: Target, jobs: number): Promise<void> {
  const worker = await target.worker(64, (_job, _prompt, reply) => reply.result(null));
  const client = await target.client();
  for (let done = 0; done < jobs; ) {
    const wave = Math.min(1000, jobs - done);
    await new Promise<void>((resolve) => {
      let left = wave;
      for (let i = 0; i < wave; i++) client.submit('history', { result: () => --left === 0 && resolve() });
    });
    done += wave;
  }
  client.close();
  worker.close();
}

async function latency(url: string, times: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    samples.push(performance.now() - started);
  }
  return quantile(samples, 0.5);
}

/**
 * What a Kubernetes probe or a Prometheus scrape costs with a long history: `/health`, `/metrics`
 * and `/v1/spaces` with `probeHistory` finished jobs kept (issue #30: O(spaces), from counters,
 * never a scan of the jobs). On a fresh gateway, after its jobs are done.
 */
export const probesBenchmark: Benchmark<ProbesResult> = {
  key: 'probes',
  ratios: false,
  oneRound: true,
  timeoutMs: 15 * 60_000,
  takes: (t) => t.http !== undefined && t.fresh !== undefined && t.name === 'spaceport gateway',
  title: (s) => `Probes with ${s.probeHistory.toLocaleString('en-US')} finished jobs kept: median of 50 requests each`,
  columns: [
    ['healthMs', '/health ms'],
    ['metricsMs', '/metrics ms'],
    ['spacesMs', '/v1/spaces ms'],
  ],
  async run(target, { probeHistory }) {
    const fresh = await target.fresh!();
    try {
      await fill(fresh, probeHistory);
      const base = fresh.http!;
      return { healthMs: await latency(`${base}/health`, 50), metricsMs: await latency(`${base}/metrics`, 50), spacesMs: await latency(`${base}/v1/spaces`, 50) };
    } finally {
      await fresh.stop();
    }
  },
};
