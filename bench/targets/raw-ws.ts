import { startChildServer, startRedisServer } from '../child-server.ts';
import type { ProbeReport } from '../server-probe.ts';
import { jsonClient, jsonSubscriber, jsonWorker, open } from './json-peers.ts';
import { BASELINE_TOKEN, type Target } from './target.ts';

/** The baseline relay (servers/raw-ws-relay.ts) on plain `ws`. */
export async function rawWsTarget(): Promise<Target> {
  const server = await startChildServer('bench/servers/raw-ws-relay.ts', []);
  const base = `ws://127.0.0.1:${server.port}`;
  return {
    name: 'raw ws relay',
    queueless: true,
    probe: (gc) => server.probe(gc),
    ...rawPeers(base, base),
    fresh: rawWsTarget,
    stop: () => server.stop(),
  };
}

/**
 * The baseline relay split over two processes and a Redis (servers/raw-ws-redis-relay.ts):
 * workers on the first, clients on the second, like the gateway's `×2 via Redis`. Server CPU
 * counts both relays and Redis. `queued`: jobs wait in a Redis list for the workers' slots.
 */
export async function rawWsViaRedisTarget(queued = false): Promise<Target> {
  const redis = await startRedisServer();
  const env = { RELAY_REDIS_URL: redis.url, RELAY_QUEUE: queued ? '1' : '0' };
  const workers = await startChildServer('bench/servers/raw-ws-redis-relay.ts', ['workers'], env);
  const clients = await startChildServer('bench/servers/raw-ws-redis-relay.ts', ['clients'], env);
  const probe = async (gc?: boolean): Promise<ProbeReport> => {
    const [a, b] = await Promise.all([workers.probe(gc), clients.probe(gc)]);
    return { ...b, cpuMicros: a.cpuMicros + b.cpuMicros + redis.cpuMicros() };
  };
  const stop = async () => {
    await Promise.all([workers.stop(), clients.stop()]);
    await redis.stop();
  };
  const peers = rawPeers(`ws://127.0.0.1:${workers.port}`, `ws://127.0.0.1:${clients.port}`);
  if (queued) {
    // The floor of the queue rows: jobs wait for slots, as the gateway's do.
    return { name: 'raw ws ×2 via a Redis list', only: ['queueThroughput', 'manyWorkers'], queues: true, probe, ...peers, fresh: () => rawWsViaRedisTarget(true), stop };
  }
  return {
    name: 'raw ws ×2 via Redis',
    // The rows where the gateway's own ×2 is held to a 2-instance floor: a job's trip, its tokens, its
    // media, and (as a ceiling: it queues nothing) short jobs' throughput.
    only: ['dispatchRoundTrip', 'tokenRelay', 'binaryMedia', 'queueThroughput'],
    queueless: true,
    probe,
    ...peers,
    fresh: () => rawWsViaRedisTarget(),
    stop,
  };
}

/** Workers and clients of the baseline relays' protocol, on the relays at these bases. */
function rawPeers(workers: string, clients: string): Pick<Target, 'worker' | 'client' | 'subscriber' | 'connect'> {
  return {
    worker: async (slots, onJob) => jsonWorker(await open(`${workers}/worker?slots=${slots}`), onJob, (job) => ({ last: { type: 'result', job } })),
    client: () => jsonClient(`${clients}/client`, { token: BASELINE_TOKEN, submitMessage: (id, prompt) => ({ type: 'submit', id, prompt }) }),
    subscriber: (onToken) => jsonSubscriber(`${clients}/sub`, undefined, onToken, BASELINE_TOKEN),
    connect: () => open(`${clients}/client`, BASELINE_TOKEN),
  };
}
