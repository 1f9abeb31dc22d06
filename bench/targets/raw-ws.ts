import { startChildServer } from '../child-server.ts';
import { jsonClient, jsonSubscriber, jsonWorker, open } from './json-peers.ts';
import { BASELINE_TOKEN, type Target } from './target.ts';

/** The baseline relay (servers/raw-ws-relay.ts) on plain `ws`. */
export async function rawWsTarget(): Promise<Target> {
  const server = await startChildServer('bench/servers/raw-ws-relay.ts', []);
  const base = `ws://127.0.0.1:${server.port}`;
  return {
    name: 'raw ws relay',
    probe: (gc) => server.probe(gc),
    worker: async (_slots, onJob) => jsonWorker(await open(`${base}/worker`), onJob, (job) => ({ last: { type: 'result', job } })),
    client: () => jsonClient(`${base}/client`, { token: BASELINE_TOKEN, submitMessage: (id, prompt) => ({ type: 'submit', id, prompt }) }),
    subscriber: (onToken) => jsonSubscriber(`${base}/sub`, undefined, onToken, BASELINE_TOKEN),
    connect: () => open(`${base}/client`, BASELINE_TOKEN),
    fresh: rawWsTarget,
    stop: () => server.stop(),
  };
}
