import { withServerCpu, type Benchmark } from './benchmark.ts';
import type { Target } from './targets/target.ts';

export interface TokenRelayResult {
  tokensPerSecond: number;
  /** Server CPU (user + system) per relayed token, in microseconds. */
  serverCpuMicrosPerToken: number;
}

/**
 * Token relay throughput: `streams` jobs at once, each streaming `tokens` small tokens from one
 * worker as fast as the worker can write them; timed from the first submit to the last result.
 */
async function tokenRelay(target: Target, streams: number, tokens: number): Promise<TokenRelayResult> {
  const worker = await target.worker(streams, (_job, _prompt, reply) => {
    for (let i = 0; i < tokens; i++) reply.token('tok ');
    reply.result({ tokens });
  });
  const clients = await Promise.all(Array.from({ length: streams }, () => target.client()));
  let received = 0;
  let seconds = 0;
  const { cpuMicros } = await withServerCpu(target, async () => {
    const started = performance.now();
    await Promise.all(clients.map((client) => new Promise<void>((resolve) => client.submit('stream', { token: () => received++, result: () => resolve() }))));
    seconds = (performance.now() - started) / 1000;
  });
  const expected = streams * tokens;
  if (received !== expected) throw new Error(`${target.name}: ${received} of ${expected} tokens arrived`);
  clients.forEach((c) => c.close());
  worker.close();
  return { tokensPerSecond: expected / seconds, serverCpuMicrosPerToken: cpuMicros / expected };
}

export const tokenRelayBenchmark: Benchmark<TokenRelayResult> = {
  key: 'tokenRelay',
  steady: true,
  title: (s) => `Token relay: ${s.streams} streams × ${s.tokens} tokens`,
  columns: [
    ['tokensPerSecond', 'tokens/s'],
    ['serverCpuMicrosPerToken', 'server µs/token'],
  ],
  run: (t, s) => tokenRelay(t, s.streams, s.tokens),
  // A whole pass: the gateway's token path needed ~100,000 tokens to reach its pace (the raw relay's
  // few lines far fewer), so a short warm-up left its first measured round cold.
  warmUp: (t, s) => tokenRelay(t, s.streams, s.tokens),
};
