import type { Target } from './targets/target.ts';

/** Every benchmark's sizes, full or `--quick` (the test suite's smoke run). */
export interface Sizes {
  rounds: number;
  /**
   * Rounds of the benchmarks that ask for steadier medians (`steady`): those whose rounds swing
   * most on this machine while their ratios sit near their goals — the token relays, the round trip
   * and media, which also take the least time a round.
   */
  steadyRounds: number;
  /**
   * Unmeasured passes of a benchmark on each target before its rounds. One was not enough: the
   * first measured rounds after it ran slow for every target, the gateway's longest (its round
   * trip's p99 2.4 ms in the first two, 0.55–0.98 ms from the fifth pass on; the raw relay's
   * 2.1 ms in the first, ~0.5 ms after), as V8 was still compiling what each pass runs.
   */
  warmUpPasses: number;
  streams: number;
  tokens: number;
  jobs: number;
  subscribers: number;
  fanTokens: number;
  idle: number;
  handshakes: number;
  mediaStreams: number;
  mediaJobs: number;
  /** Binary payloads per media job (the frames of a short clip). */
  mediaFrames: number;
  mediaBytes: number;
  longTokens: number;
  /** The queue depths the deep-queue benchmark measures a dispatch at (three). */
  queueDepths: [number, number, number];
  /** Jobs dispatched and timed at each depth. */
  queueMeasured: number;
  /** The numbers of one-slot workers the many-workers benchmark measures throughput with (three). */
  workerCounts: [number, number, number];
  /** Short jobs submitted together at each count. */
  manyWorkerJobs: number;
  /** Finished jobs kept when the probes benchmark times /health, /metrics and /v1/spaces. */
  probeHistory: number;
  /** The queue-throughput benchmark: clients, short jobs each submits at once, workers and their slots. */
  throughputClients: number;
  throughputJobsEach: number;
  throughputWorkers: number;
  throughputSlots: number;
  /** Streaming chat completions per round of the time-to-first-token benchmark. */
  firstTokenRequests: number;
}

export const FULL: Sizes = {
  rounds: 3,
  steadyRounds: 5,
  warmUpPasses: 4,
  streams: 4,
  tokens: 10_000,
  jobs: 1000,
  subscribers: 1000,
  fanTokens: 100,
  idle: 5000,
  handshakes: 2000,
  mediaStreams: 4,
  mediaJobs: 16,
  mediaFrames: 4,
  mediaBytes: 1024 * 1024,
  longTokens: 20_000,
  queueDepths: [1000, 10_000, 100_000],
  queueMeasured: 500,
  workerCounts: [1, 100, 1000],
  manyWorkerJobs: 5000,
  probeHistory: 100_000,
  throughputClients: 200,
  throughputJobsEach: 25,
  throughputWorkers: 10,
  throughputSlots: 8,
  firstTokenRequests: 300,
};

export const QUICK: Sizes = {
  rounds: 1,
  steadyRounds: 1,
  warmUpPasses: 1,
  streams: 2,
  tokens: 500,
  jobs: 50,
  subscribers: 10,
  fanTokens: 20,
  idle: 50,
  handshakes: 50,
  mediaStreams: 2,
  mediaJobs: 2,
  mediaFrames: 2,
  mediaBytes: 64 * 1024,
  longTokens: 400,
  queueDepths: [20, 60, 200],
  queueMeasured: 10,
  workerCounts: [1, 5, 20],
  manyWorkerJobs: 50,
  probeHistory: 200,
  throughputClients: 4,
  throughputJobsEach: 5,
  throughputWorkers: 2,
  throughputSlots: 2,
  firstTokenRequests: 20,
};

/** One measurement: run against each target in turn, its numeric fields compared as ratios. */
export interface Benchmark<R extends object = Record<string, number>> {
  key: string;
  title(sizes: Sizes): string;
  /** The result's fields in the order printed, with their column labels. */
  columns: Array<[key: keyof R & string, label: string]>;
  run(target: Target, sizes: Sizes): Promise<R>;
  /** False where the figures are judged on their own (a ratio of two near-zero growths says nothing). */
  ratios?: boolean;
  /**
   * Each round on servers started for it (Target.fresh), not on the ones every other benchmark
   * ran on: for what a process's history decides, such as how much of the memory it freed earlier
   * it can reuse instead of growing.
   */
  freshServers?: boolean;
  /** The targets it runs on, of those that do not name their benchmarks (`only`); all when absent. */
  takes?(target: Target): boolean;
  /** Runs `sizes.steadyRounds` rounds instead of `sizes.rounds`. */
  steady?: boolean;
  /** One long round (minutes), whose figures differ by far more than the machine's noise. */
  oneRound?: boolean;
  /** How long one round may take before the run fails. @default 180_000 */
  timeoutMs?: number;
  /** An unmeasured pass (run `sizes.warmUpPasses` times), so JIT warm-up does not land on the measured rounds. */
  warmUp?(target: Target, sizes: Sizes): Promise<unknown>;
}

/** One run of a benchmark on the target — or on a new one of its kind, stopped after, when the benchmark asks for fresh servers. */
export async function runOn<R extends object>(benchmark: Benchmark<R>, target: Target, sizes: Sizes): Promise<R> {
  const own = benchmark.freshServers && target.fresh ? await target.fresh() : undefined;
  try {
    return await benchmark.run(own ?? target, sizes);
  } finally {
    await own?.stop();
  }
}

/** Server CPU consumed while `work` runs, in microseconds, with the work's own result. */
export async function withServerCpu<T>(target: Target, work: () => Promise<T>): Promise<{ value: T; cpuMicros: number }> {
  const before = (await target.probe()).cpuMicros;
  const value = await work();
  return { value, cpuMicros: (await target.probe()).cpuMicros - before };
}

/** How many measured rounds the benchmark runs. */
export const roundsOf = (benchmark: Pick<Benchmark, 'steady' | 'oneRound'>, sizes: Sizes) => (benchmark.oneRound ? 1 : benchmark.steady ? sizes.steadyRounds : sizes.rounds);

export const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

/** The benchmark's unmeasured passes on the target (Sizes.warmUpPasses). */
export async function warmUp<R extends object>(benchmark: Benchmark<R>, target: Target, sizes: Sizes): Promise<void> {
  if (!benchmark.warmUp) return;
  for (let pass = 0; pass < sizes.warmUpPasses; pass++) await benchmark.warmUp(target, sizes);
}
