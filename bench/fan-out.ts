import type { Target } from './targets.ts';

export interface FanOutOptions {
  subscribers: number;
  tokens: number;
}

export interface FanOutResult {
  deliveriesPerSecond: number;
  /** Server CPU per delivered message, in microseconds. */
  serverCpuMicrosPerDelivery: number;
}

/**
 * Fan-out: `subscribers` connections each receive every token of one job (a topic subscription),
 * timed from the first token sent until the last subscriber has the last token.
 */
export async function fanOut(target: Target, opts: FanOutOptions): Promise<FanOutResult> {
  let delivered = 0;
  const expected = opts.subscribers * opts.tokens;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const subs = [];
  for (let i = 0; i < opts.subscribers; i++) subs.push(await target.subscriber(() => ++delivered === expected && done()));
  const worker = await target.worker(1, (_job, _prompt, reply) => {
    for (let i = 0; i < opts.tokens; i++) reply.token('tok ');
    reply.result({});
  });
  const client = await target.client();
  const cpuBefore = target.cpuMicros();
  const started = performance.now();
  client.submit('fan-out', { result: () => {} });
  await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`${target.name}: ${delivered} of ${expected} deliveries`)), 120_000))]);
  const seconds = (performance.now() - started) / 1000;
  const cpu = target.cpuMicros() - cpuBefore;
  subs.forEach((s) => s.close());
  client.close();
  worker.close();
  return { deliveriesPerSecond: expected / seconds, serverCpuMicrosPerDelivery: cpu / expected };
}
