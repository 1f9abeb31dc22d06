import type { Benchmark } from './benchmark.ts';
import { binaryMediaBenchmark, mediaMemoryBenchmark } from './binary-media.ts';
import { connectStormBenchmark } from './connect-storm.ts';
import { deepQueueBenchmark } from './deep-queue.ts';
import { roundTripBenchmark } from './dispatch-round-trip.ts';
import { fanOutBenchmark } from './fan-out.ts';
import { idleConnectionsBenchmark } from './idle-connections.ts';
import { longStreamBenchmark } from './long-stream.ts';
import { manyWorkersBenchmark } from './many-workers.ts';
import { openAiFirstTokenBenchmark } from './openai-first-token.ts';
import { probesBenchmark } from './probes.ts';
import { queueThroughputBenchmark } from './queue-throughput.ts';
import { tokenRelayBenchmark } from './token-relay.ts';

/** Every benchmark, in the order a full run takes them. */
export const ALL: Benchmark[] = [
  tokenRelayBenchmark,
  roundTripBenchmark,
  fanOutBenchmark,
  binaryMediaBenchmark,
  mediaMemoryBenchmark,
  idleConnectionsBenchmark,
  connectStormBenchmark,
  longStreamBenchmark,
  deepQueueBenchmark,
  manyWorkersBenchmark,
  queueThroughputBenchmark,
  probesBenchmark,
  openAiFirstTokenBenchmark,
] as unknown as Benchmark[];

/** The benchmarks named in a comma-separated list (`--only`), or an error naming the ones there are. */
export function benchmarksNamed(list: string): Benchmark[] {
  const keys = list.split(',');
  const chosen = ALL.filter((b) => keys.includes(b.key));
  if (chosen.length === 0) throw new Error(`none of ${list} (there are ${ALL.map((b) => b.key).join(', ')})`);
  return chosen;
}
