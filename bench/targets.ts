import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { startChildServer, startRedisServer, type ChildServer } from './child-server.ts';

/** What a benchmark worker does with each job it is given. */
export type JobHandler = (job: string | number, prompt: string, reply: Reply) => void;
export interface Reply {
  token(text: string): void;
  result(data: unknown): void;
}

/** A benchmark client: submits jobs and is told of each token and of the result. */
export interface BenchClient {
  submit(prompt: string, on: { token?: () => void; result: () => void }): void;
  close(): void;
}

/** A server under test, with the means to connect workers and clients speaking its protocol. */
export interface Target {
  name: string;
  /** CPU used so far by every process on the server side (gateways, Redis), in microseconds. */
  cpuMicros(): number;
  worker(slots: number, onJob: JobHandler): Promise<{ close(): void }>;
  client(): Promise<BenchClient>;
  /** Server resident memory (gateway processes only for the multi-process targets), in bytes. */
  rssBytes(): number;
  /** An authenticated connection that then does nothing. */
  idle(): Promise<{ close(): void }>;
  /** A connection that receives every job's events (a topic subscriber), calling `onToken` per token. */
  subscriber(onToken: () => void): Promise<{ close(): void }>;
  stop(): Promise<void>;
}

function open(url: string, token?: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/**
 * The client side both protocols share: submit carries a request id, `accepted` maps it to a job
 * id, and later messages name the job. Events that overtake their `accepted` wait for it.
 */
async function jsonClient(url: string, submitMessage: (id: number, prompt: string) => object): Promise<BenchClient> {
  const ws = await open(url);
  const byRequest = new Map<number, { token?: () => void; result: () => void }>();
  const byJob = new Map<string | number, { token?: () => void; result: () => void }>();
  const early = new Map<string | number, string[]>();
  let nextId = 1;
  const deliver = (job: string | number, type: string) => {
    const on = byJob.get(job);
    if (!on) return void early.set(job, [...(early.get(job) ?? []), type]);
    if (type === 'token') on.token?.();
    else if (type === 'result') {
      byJob.delete(job);
      on.result();
    }
  };
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.type === 'accepted') {
      byJob.set(msg.job, byRequest.get(msg.id)!);
      byRequest.delete(msg.id);
      for (const type of early.get(msg.job) ?? []) deliver(msg.job, type);
      early.delete(msg.job);
    } else if (msg.type === 'token' || msg.type === 'result') deliver(msg.job, msg.type);
  });
  return {
    submit(prompt, on) {
      const id = nextId++;
      byRequest.set(id, on);
      ws.send(JSON.stringify(submitMessage(id, prompt)));
    },
    close: () => ws.close(),
  };
}

/** A plain WebSocket subscriber: optionally sends a subscribe message and waits for its ack. */
async function jsonSubscriber(url: string, subscribe: object | undefined, onToken: () => void, token?: string): Promise<{ close(): void }> {
  const ws = new WebSocket(url, { perMessageDeflate: false, headers: token ? { authorization: `Bearer ${token}` } : {} });
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', function ready(data) {
      const text = data.toString();
      if (text.includes('"hello"') && subscribe) return ws.send(JSON.stringify(subscribe));
      if (text.includes('"subscribed"') || text.includes('"ack"')) {
        ws.off('message', ready);
        resolve();
      }
    });
  });
  // Only the type is needed per message; a full parse per delivery would measure the benchmark itself.
  ws.on('message', (data) => data.toString().startsWith('{"type":"token"') && onToken());
  return { close: () => ws.close() };
}

function jsonWorker(ws: WebSocket, onJob: JobHandler): { close(): void } {
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.type !== 'job') return;
    const job: string | number = msg.job;
    onJob(job, msg.prompt, {
      token: (text) => ws.send(JSON.stringify({ type: 'token', job, text })),
      result: (d) => ws.send(JSON.stringify({ type: 'result', job, data: d })),
    });
  });
  return { close: () => ws.close() };
}

export async function rawWsTarget(): Promise<Target> {
  const server = await startChildServer('bench/servers/raw-ws-relay.ts', []);
  const base = `ws://127.0.0.1:${server.port}`;
  return {
    name: 'raw ws relay',
    cpuMicros: () => server.cpuMicros(),
    async worker(_slots, onJob) {
      return jsonWorker(await open(`${base}/worker`), onJob);
    },
    client: () => jsonClient(`${base}/client`, (id, prompt) => ({ type: 'submit', id, prompt })),
    subscriber: (onToken) => jsonSubscriber(`${base}/sub`, undefined, onToken),
    rssBytes: () => server.rssBytes(),
    idle: () => open(`${base}/client`),
    stop: () => server.stop(),
  };
}

/** Socket.IO speaks its own framing: its client library plays the same client and worker. */
export async function socketIoTarget(): Promise<Target> {
  const server = await startChildServer('bench/servers/socketio-relay.ts', []);
  const url = `http://127.0.0.1:${server.port}`;
  const connect = (role: string) =>
    new Promise<ClientSocket>((resolve, reject) => {
      const socket = ioClient(url, { transports: ['websocket'], query: { role }, forceNew: true });
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  return {
    name: 'Socket.IO relay',
    cpuMicros: () => server.cpuMicros(),
    async worker(_slots, onJob) {
      const socket = await connect('worker');
      socket.on('job', (msg: { job: number; prompt: string }) =>
        onJob(msg.job, msg.prompt, {
          token: (text) => socket.emit('event', { type: 'token', job: msg.job, text }),
          result: (data) => socket.emit('event', { type: 'result', job: msg.job, data }),
        }),
      );
      return { close: () => socket.close() };
    },
    async client() {
      const socket = await connect('client');
      const byRequest = new Map<number, { token?: () => void; result: () => void }>();
      const byJob = new Map<number, { token?: () => void; result: () => void }>();
      let nextId = 1;
      socket.on('event', (msg: { type: string; id?: number; job: number }) => {
        if (msg.type === 'accepted') {
          byJob.set(msg.job, byRequest.get(msg.id!)!);
          byRequest.delete(msg.id!);
        } else if (msg.type === 'token') byJob.get(msg.job)?.token?.();
        else if (msg.type === 'result') {
          const on = byJob.get(msg.job);
          byJob.delete(msg.job);
          on?.result();
        }
      });
      return {
        submit(prompt, on) {
          const id = nextId++;
          byRequest.set(id, on);
          socket.emit('submit', { id, prompt });
        },
        close: () => socket.close(),
      };
    },
    async subscriber(onToken) {
      // Listen before connecting: the relay says "subscribed" as soon as the socket connects.
      const socket = ioClient(url, { transports: ['websocket'], query: { role: 'subscriber' }, forceNew: true });
      await new Promise<void>((resolve, reject) => {
        socket.once('subscribed', () => resolve());
        socket.once('connect_error', reject);
      });
      socket.on('event', (msg: { type: string }) => msg.type === 'token' && onToken());
      return { close: () => socket.close() };
    },
    rssBytes: () => server.rssBytes(),
    async idle() {
      const socket = await connect('client');
      return { close: () => socket.close() };
    },
    stop: () => server.stop(),
  };
}

const ADMIN = 'bench-admin-token';
const SPACE = 'bench';

/** `spaceport serve` as its own process, with the bench space created when `createSpace`. */
async function gatewayProcess(env: Record<string, string>, createSpace: boolean): Promise<{ server: ChildServer; base: string; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'spaceport-bench-'));
  const server = await startChildServer('src/cli/main.ts', ['serve', '--port', '0', '--host', '127.0.0.1', '--data', dataDir, '--no-demo'], {
    SPACEPORT_ADMIN_TOKEN: ADMIN,
    LOG_LEVEL: 'warn',
    // The benchmark itself is the flood; the per-connection rate limit would only measure itself.
    SPACEPORT_MESSAGES_PER_SECOND: '100000000',
    ...env,
  });
  if (createSpace) {
    const res = await fetch(`http://127.0.0.1:${server.port}/v1/admin/spaces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: SPACE, inputs: ['prompt'], max_queue: 100_000 }),
    });
    if (res.status !== 201) throw new Error(`creating the bench space: ${res.status} ${await res.text()}`);
  }
  return { server, base: `ws://127.0.0.1:${server.port}`, dataDir };
}

async function gatewayWorker(base: string, slots: number, onJob: JobHandler): Promise<{ close(): void }> {
  const ws = await open(`${base}/v1/worker`);
  ws.send(JSON.stringify({ type: 'register', token: ADMIN, spaces: [SPACE], slots }));
  await new Promise<void>((resolve, reject) =>
    ws.on('message', function registered(data) {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'registered') resolve();
      else if (msg.type === 'error') reject(new Error(msg.message));
      else return;
      ws.off('message', registered);
      const beat = setInterval(() => ws.send('{"type":"heartbeat"}'), msg.heartbeat_ms);
      ws.once('close', () => clearInterval(beat));
    }),
  );
  return jsonWorker(ws, (job, prompt, reply) => {
    ws.send(JSON.stringify({ type: 'started', job }));
    onJob(job, prompt, reply);
  });
}

const gatewayClient = (base: string) => jsonClient(`${base}/v1/ws`, (id, prompt) => ({ type: 'submit', id, space: SPACE, prompt }));

/** The real gateway (`spaceport serve`, embedded engine on a temp dir) with one space. */
export async function gatewayTarget(): Promise<Target> {
  const { server, base, dataDir } = await gatewayProcess({}, true);
  return {
    name: 'spaceport gateway',
    cpuMicros: () => server.cpuMicros(),
    worker: (slots, onJob) => gatewayWorker(base, slots, onJob),
    client: () => gatewayClient(base),
    subscriber: (onToken) => jsonSubscriber(`${base}/v1/ws`, { type: 'subscribe', topic: 'all' }, onToken, ADMIN),
    rssBytes: () => server.rssBytes(),
    idle: () => open(`${base}/v1/ws`, ADMIN),
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Two gateway instances sharing a Redis: workers on the first, clients on the second, so every
 * token crosses Redis (one PUBLISH per event). Server CPU counts both gateways and Redis.
 */
export async function crossInstanceTarget(): Promise<Target> {
  const redis = await startRedisServer();
  const env = { SPACEPORT_REDIS_URL: redis.url, SPACEPORT_REDIS_PREFIX: `bench${process.pid}:` };
  const first = await gatewayProcess(env, true);
  const second = await gatewayProcess(env, false);
  return {
    name: 'gateway ×2 via Redis',
    cpuMicros: () => first.server.cpuMicros() + second.server.cpuMicros() + redis.cpuMicros(),
    worker: (slots, onJob) => gatewayWorker(first.base, slots, onJob),
    client: () => gatewayClient(second.base),
    subscriber: (onToken) => jsonSubscriber(`${second.base}/v1/ws`, { type: 'subscribe', topic: 'all' }, onToken, ADMIN),
    rssBytes: () => second.server.rssBytes(),
    idle: () => open(`${second.base}/v1/ws`, ADMIN),
    async stop() {
      await Promise.all([first.server.stop(), second.server.stop()]);
      await redis.stop();
      for (const dir of [first.dataDir, second.dataDir]) rmSync(dir, { recursive: true, force: true });
    },
  };
}
