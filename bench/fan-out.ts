import { withServerCpu, type Benchmark } from './benchmark.ts';
import type { Target } from './targets/target.ts';

export interface FanOutResult {
  deliveriesPerSecond: number;
  /** Server CPU per delivered message, in microseconds. */
  serverCpuMicrosPerDelivery: number;
}

/**
 * Fan-out: `subscribers` connections each receive every token of one job (a topic subscription),
 * timed from the submit until the last subscriber has the last token.
 */
async function fanOut(target: Target, subscribers: number, tokens: number): Promise<FanOutResult> {
  let delivered = 0;
  const expected = subscribers * tokens;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const subs = [];
  for (let i = 0; i < subscribers; i++) subs.push(await target.subscriber(() => ++delivered === expected && done()));
  const worker = await target.worker(1, (_job, _prompt, reply) => {
    for (let i = 0; i < tokens; i++) reply.token('tok ');
    reply.result({});
  });
  const client = await target.client();
  let seconds = 0;
  const { cpuMicros } = await withServerCpu(target, async () => {
    const started = performance.now();
    client.submit('fan-out', { result: () => {} });
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`${target.name}: ${delivered} of ${expected} deliveries`)), 120_000).unref());
    await Promise.race([all, timeout]);
    seconds = (performance.now() - started) / 1000;
  });
  subs.forEach((s) => s.close());
  client.close();
  worker.close();
  return { deliveriesPerSecond: expected / seconds, serverCpuMicrosPerDelivery: cpuMicros / expected };
}

export const fanOutBenchmark: Benchmark<FanOutResult> = {
  key: 'fanOut',
  title: (s) => `Fan-out: one job's ${s.fanTokens} tokens to ${s.subscribers} subscribers`,
  columns: [
    ['deliveriesPerSecond', 'deliveries/s'],
    ['serverCpuMicrosPerDelivery', 'server µs/delivery'],
  ],
  run: (t, s) => fanOut(t, s.subscribers, s.fanTokens),
};
