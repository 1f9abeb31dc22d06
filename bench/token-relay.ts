import type { Target } from './targets.ts';

export interface TokenRelayOptions {
  /** Concurrent jobs, each on its own client connection. */
  streams: number;
  /** Tokens each job streams. */
  tokens: number;
}

export interface TokenRelayResult {
  tokensPerSecond: number;
  /** Server CPU (user + system) per relayed token, in microseconds. */
  serverCpuMicrosPerToken: number;
}

/**
 * Token relay throughput: `streams` jobs at once, each streaming `tokens` small tokens from one
 * worker as fast as the worker can write them; timed from the first submit to the last result.
 */
export async function tokenRelay(target: Target, opts: TokenRelayOptions): Promise<TokenRelayResult> {
  const text = 'tok ';
  const worker = await target.worker(opts.streams, (_job, _prompt, reply) => {
    for (let i = 0; i < opts.tokens; i++) reply.token(text);
    reply.result({ tokens: opts.tokens });
  });
  const clients = await Promise.all(Array.from({ length: opts.streams }, () => target.client()));
  const cpuBefore = target.cpuMicros();
  const started = performance.now();
  let received = 0;
  await Promise.all(
    clients.map(
      (client) =>
        new Promise<void>((resolve) =>
          client.submit('stream', {
            token: () => received++,
            result: resolve,
          }),
        ),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = target.cpuMicros() - cpuBefore;
  const expected = opts.streams * opts.tokens;
  if (received !== expected) throw new Error(`${target.name}: ${received} of ${expected} tokens arrived`);
  clients.forEach((c) => c.close());
  worker.close();
  return { tokensPerSecond: expected / seconds, serverCpuMicrosPerToken: cpu / expected };
}
