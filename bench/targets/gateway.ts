import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildServer, startRedisServer, type ChildServer } from '../child-server.ts';
import type { ProbeReport } from '../server-probe.ts';
import { jsonClient, jsonSubscriber, jsonWorker, open, openGreeted, type MediaMessages } from './json-peers.ts';
import type { BenchClient, Closable, JobHandler, Submitted, Target } from './target.ts';

export const ADMIN = 'bench-admin-token';
/** The /ws dialect hands its queries to this space by default, so every benchmark uses it. */
export const SPACE = 'text-generation';

export interface GatewayProcess {
  server: ChildServer;
  base: string;
  /** An API key: clients authenticate as a user would, not as the admin. */
  apiKey: string;
  stop(): Promise<void>;
}

async function adminPost(port: number, path: string, body: object): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** `spaceport serve` as its own process; the first of a group creates the space and the key. */
export async function gatewayProcess(env: Record<string, string>, setup: { apiKey?: string }): Promise<GatewayProcess> {
  // BENCH_DATA_PARENT in a variant's environment: where its data directory goes (another disk, a tmpfs).
  const dataDir = mkdtempSync(join(env.BENCH_DATA_PARENT ?? tmpdir(), 'spaceport-bench-'));
  const server = await startChildServer('src/cli/main.ts', ['serve', '--port', '0', '--host', '127.0.0.1', '--data', dataDir, '--no-demo'], {
    SPACEPORT_ADMIN_TOKEN: ADMIN,
    LOG_LEVEL: 'warn',
    // The benchmark itself is the flood; the per-connection rate limits would only measure themselves.
    SPACEPORT_MESSAGES_PER_SECOND: '100000000',
    SPACEPORT_WORKER_MESSAGES_PER_SECOND: '100000000',
    // Likewise the per-caller budgets: thousands of connections and jobs come from one API key here.
    SPACEPORT_BUDGET_CONNECTIONS: '100000000',
    SPACEPORT_BUDGET_JOBS: '100000000',
    ...env,
  });
  let apiKey = setup.apiKey;
  if (!apiKey) {
    await adminPost(server.port, '/v1/admin/spaces', { name: SPACE, inputs: ['prompt'], max_queue: 100_000 });
    apiKey = String((await adminPost(server.port, '/v1/admin/api-keys', { name: 'bench' })).key);
  }
  return {
    server,
    base: `ws://127.0.0.1:${server.port}`,
    apiKey,
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * How a gateway worker hands over a binary payload: as live media (a `partial` event's file, held
 * in memory for replays, then a plain `result`), or as the result's file (stored, kept for the
 * retention period like every result).
 */
type MediaAs = 'partial' | 'result';

const PAYLOAD_FILE = { name: 'payload.bin', mime: 'application/octet-stream', binary: true };

function mediaMessages(as: MediaAs): (job: string | number, count: number) => MediaMessages {
  if (as === 'result') return (job, count) => ({ first: { type: 'result', job, files: Array(count).fill(PAYLOAD_FILE) } });
  return (job) => ({ each: { type: 'partial', job, files: [PAYLOAD_FILE] }, last: { type: 'result', job } });
}

async function gatewayWorker(base: string, slots: number, onJob: JobHandler, mediaAs: MediaAs): Promise<Closable> {
  const ws = await open(`${base}/v1/worker`);
  ws.send(JSON.stringify({ type: 'register', token: ADMIN, spaces: [SPACE], slots }));
  return new Promise<Closable>((resolve, reject) =>
    ws.on('message', function registered(data) {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'error') return reject(new Error(msg.message));
      if (msg.type !== 'registered') return;
      ws.off('message', registered);
      const beat = setInterval(() => ws.send('{"type":"heartbeat"}'), msg.heartbeat_ms);
      ws.once('close', () => clearInterval(beat));
      // Listening before this handler returns: jobs already queued come right behind `registered`,
      // in the same read, and a listener added after an await would miss them.
      resolve(jsonWorker(ws, onJob, mediaMessages(mediaAs)));
    }),
  );
}

// Files of the job's events come pushed as binary frames right after each event.
const gatewayClient = (g: GatewayProcess) =>
  jsonClient(`${g.base}/v1/ws`, {
    token: g.apiKey,
    submitMessage: (id, prompt) => ({ type: 'submit', id, space: SPACE, prompt, push_files: true }),
    cancelMessage: (job) => ({ type: 'cancel', job }),
  });

function gatewayTargetOf(
  name: string,
  workers: GatewayProcess,
  clients: GatewayProcess,
  probe: (gc?: boolean) => Promise<ProbeReport>,
  stop: () => Promise<void>,
  fresh: () => Promise<Target>,
  mediaAs: MediaAs = 'partial',
): Target {
  return {
    name,
    queues: true,
    http: clients.base.replace(/^ws/, 'http'),
    probe,
    fresh,
    worker: (slots, onJob) => gatewayWorker(workers.base, slots, onJob, mediaAs),
    client: () => gatewayClient(clients),
    subscriber: (onToken) => jsonSubscriber(`${clients.base}/v1/ws`, { type: 'subscribe', topic: 'all' }, onToken, ADMIN),
    // Usable once the gateway has said hello (it has authenticated and registered the connection).
    connect: () => openGreeted(`${clients.base}/v1/ws`, clients.apiKey),
    stop,
  };
}

/**
 * The real gateway (`spaceport serve`, embedded engine on a temp dir) with one space, and the
 * token-streaming dialect (`/ws`, shared/seeds/001) on the same process: its clients send `query`
 * and read `token` … `end`. Same process, so the dialect is held to `/v1/ws` like for like (as
 * separate processes the two differed by more than the goal's 10% from run to run).
 */
export async function gatewayTargets(env: Record<string, string> = {}): Promise<{ gateway: Target; dialect: Target }> {
  const g = await gatewayProcess(env, {});
  const fresh = async () => (await gatewayTargets(env)).gateway;
  const gateway = gatewayTargetOf(
    'spaceport gateway',
    g,
    g,
    (gc) => g.server.probe(gc),
    () => g.stop(),
    fresh,
  );
  const dialect: Target = {
    ...gateway,
    name: 'gateway /ws dialect',
    only: ['tokenRelay'],
    fresh: undefined, // runs only where the gateway's process is shared
    client: () => dialectClient(`${g.base}/ws`, g.apiKey),
    stop: async () => {}, // the gateway target stops the process
  };
  return { gateway, dialect };
}

/**
 * Binary media handed over as the files of the job's result — stored and kept like every result —
 * rather than as live media. A process of its own: the stored files' memory and disk writes left
 * the next live-media round on a shared process measurably slower.
 */
export async function storedMediaTarget(): Promise<Target> {
  const g = await gatewayProcess({}, {});
  const target = gatewayTargetOf(
    'gateway, stored result file',
    g,
    g,
    (gc) => g.server.probe(gc),
    () => g.stop(),
    storedMediaTarget,
    'result',
  );
  return { ...target, only: ['binaryMedia', 'mediaMemory'] };
}

/**
 * Two gateway instances sharing a Redis: workers on the first, clients on the second, so every
 * token crosses Redis (one PUBLISH per event). Server CPU counts both gateways and Redis; memory
 * is the clients' instance. `extra`: environment variables for both gateways (bench:ab's variants).
 */
export async function crossInstanceTarget(extra: Record<string, string> = {}): Promise<Target> {
  const redis = await startRedisServer();
  const env = { ...extra, SPACEPORT_REDIS_URL: redis.url, SPACEPORT_REDIS_PREFIX: `bench${process.pid}:` };
  const first = await gatewayProcess(env, {});
  const second = await gatewayProcess(env, { apiKey: first.apiKey });
  const probe = async (gc?: boolean): Promise<ProbeReport> => {
    const [a, b] = await Promise.all([first.server.probe(gc), second.server.probe(gc)]);
    return { ...b, cpuMicros: a.cpuMicros + b.cpuMicros + redis.cpuMicros() };
  };
  const stop = async () => {
    await Promise.all([first.stop(), second.stop()]);
    await redis.stop();
  };
  return gatewayTargetOf('gateway ×2 via Redis', first, second, probe, stop, () => crossInstanceTarget(extra));
}

async function dialectClient(url: string, apiKey: string): Promise<BenchClient> {
  const ws = await open(url, apiKey);
  const bySession = new Map<string, Submitted>();
  let nextId = 1;
  ws.on('message', (data) => {
    // Parsed in full like /v1/ws's client does, so the two clients cost the benchmark alike.
    const msg = JSON.parse(data.toString());
    if (msg.type === 'token') bySession.get(msg.session_id)?.token?.();
    else if (msg.type === 'end') {
      bySession.get(msg.session_id)?.result();
      bySession.delete(msg.session_id);
    } else if (msg.type === 'error') throw new Error(`/ws error: ${data}`);
  });
  return {
    submit(prompt, on) {
      const session = `s${nextId++}`;
      bySession.set(session, on);
      ws.send(JSON.stringify({ type: 'query', session_id: session, query: prompt }));
    },
    close: () => ws.close(),
  };
}
