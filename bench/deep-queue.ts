import { withServerCpu, type Benchmark } from './benchmark.ts';
import type { BenchClient, Target } from './targets/target.ts';

export interface DeepQueueResult {
  /** Wall time per job dispatched and finished, in microseconds, with the smallest, middle and largest depth queued behind it. */
  shallowMicros: number;
  middleMicros: number;
  deepMicros: number;
  /** Server CPU per job at the largest depth. */
  deepCpuMicros: number;
  /** Server CPU per submit of the last jobs to join a queue of each depth. */
  submitShallowCpu: number;
  submitMiddleCpu: number;
  submitDeepCpu: number;
  /** Server CPU per cancel of queued jobs spread over a queue of each depth (every waiting client told its new place). */
  cancelShallowCpu: number;
  cancelMiddleCpu: number;
  cancelDeepCpu: number;
}

interface AtDepth {
  micros: number;
  cpuMicros: number;
  submitCpu: number;
  cancelCpu: number;
}

/** Submits `n` jobs at once and resolves with their ids once all are accepted; a job's end calls `ends`' entry for it, if any. */
function submitAll(client: BenchClient, n: number, ends: Map<string | number, () => void>): Promise<Array<string | number>> {
  const ids: Array<string | number> = [];
  return new Promise((resolve) => {
    for (let i = 0; i < n; i++) {
      let id: string | number | undefined;
      client.submit('queued', {
        accepted: (job) => {
          id = job;
          if (ids.push(job) === n) resolve(ids);
        },
        result: () => ends.get(id!)?.(),
      });
    }
  });
}

/**
 * `depth` jobs queued (no worker yet) — the last `measured` of them measured as they join — then
 * `measured` of them, spread from head to tail, cancelled and measured; then a one-slot worker that
 * answers at once: the time and server CPU of its first `measured` dispatches, each with the rest
 * of the queue behind it — what a submit, a cancel and a dispatch cost as the queue grows (issues
 * #26 and #30 ask for O(log n)). Every client is told its new position as the queue moves, so this
 * counts those pushes too.
 */
async function atDepth(target: Target, depth: number, measured: number): Promise<AtDepth> {
  const client = await target.client();
  const ends = new Map<string | number, () => void>();
  const ids = await submitAll(client, depth - measured, ends);
  const submitted = await withServerCpu(target, () => submitAll(client, measured, ends));
  ids.push(...submitted.value);
  const step = Math.max(1, Math.floor(ids.length / measured));
  const doomed = new Set(Array.from({ length: measured }, (_, i) => ids[Math.min(ids.length - 1, i * step)]!));
  const cancelled = await withServerCpu(target, async () => {
    const all = new Promise<void>((resolve) => {
      let left = doomed.size;
      for (const job of doomed) ends.set(job, () => --left === 0 && resolve());
    });
    for (const job of doomed) client.cancel!(job);
    await all;
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
  return { micros: (seconds * 1e6) / measured, cpuMicros: cpuMicros / measured, submitCpu: submitted.cpuMicros / measured, cancelCpu: cancelled.cpuMicros / doomed.size };
}

export const deepQueueBenchmark: Benchmark<DeepQueueResult> = {
  key: 'deepQueue',
  // Each depth on a gateway of its own (run makes them): the queue a round leaves behind must not be the next one's.
  ratios: false,
  oneRound: true,
  timeoutMs: 15 * 60_000,
  takes: (t) => t.queues === true && t.name === 'spaceport gateway',
  title: (s) => `A deep queue: ${s.queueMeasured} jobs submitted, cancelled and taken at ${s.queueDepths.map((d) => d.toLocaleString('en-US')).join(' / ')} queued`,
  columns: [
    ['submitShallowCpu', 'submit CPU µs, shallow'],
    ['submitMiddleCpu', 'middle'],
    ['submitDeepCpu', 'deep'],
    ['cancelShallowCpu', 'cancel CPU µs, shallow'],
    ['cancelMiddleCpu', 'middle'],
    ['cancelDeepCpu', 'deep'],
    ['shallowMicros', 'dispatch µs/job, shallow'],
    ['middleMicros', 'middle'],
    ['deepMicros', 'deep'],
    ['deepCpuMicros', 'dispatch CPU µs, deep'],
  ],
  async run(target, { queueDepths, queueMeasured }) {
    const at = [];
    for (const depth of queueDepths) {
      const fresh = target.fresh ? await target.fresh() : target;
      try {
        at.push(await atDepth(fresh, depth, Math.min(queueMeasured, Math.floor(depth / 2))));
      } finally {
        if (fresh !== target) await fresh.stop();
      }
    }
    const [a, b, c] = at as [AtDepth, AtDepth, AtDepth];
    return {
      shallowMicros: a.micros,
      middleMicros: b.micros,
      deepMicros: c.micros,
      deepCpuMicros: c.cpuMicros,
      submitShallowCpu: a.submitCpu,
      submitMiddleCpu: b.submitCpu,
      submitDeepCpu: c.submitCpu,
      cancelShallowCpu: a.cancelCpu,
      cancelMiddleCpu: b.cancelCpu,
      cancelDeepCpu: c.cancelCpu,
    };
  },
};
