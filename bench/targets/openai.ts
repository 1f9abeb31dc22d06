import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startChildServer, type ChildServer } from '../child-server.ts';
import { ADMIN, SPACE, gatewayProcess } from './gateway.ts';
import type { Target } from './target.ts';

const KEY = 'openAiFirstToken';

/** What these targets are not: WebSocket relays. They take part in the time-to-first-token benchmark only. */
function notARelay(name: string): Pick<Target, 'worker' | 'client' | 'connect' | 'subscriber'> {
  const refuse = () => Promise.reject(new Error(`${name} is an OpenAI-compatible HTTP API; it takes part in ${KEY} only`));
  return { worker: refuse, client: refuse, connect: refuse, subscriber: refuse };
}

const upstreamServer = () => startChildServer('bench/servers/openai-upstream.ts', []);
const apiOf = (server: ChildServer) => `http://127.0.0.1:${server.port}/v1`;

/** The OpenAI-compatible server itself, as a client that asked it directly sees it. */
export async function openAiDirectTarget(): Promise<Target> {
  const upstream = await upstreamServer();
  const name = 'OpenAI server direct';
  return {
    name,
    only: [KEY],
    openAi: { baseUrl: apiOf(upstream), apiKey: 'unused', model: 'bench' },
    probe: (gc) => upstream.probe(gc),
    ...notARelay(name),
    stop: () => upstream.stop(),
  };
}

/**
 * The same kind of server behind the bare relay (bench/servers/openai-relay.ts): a client's request
 * goes over a WebSocket to a dialled-out worker and the answer's bytes come back untouched — the
 * hops any gateway with remote workers adds, with nothing of a gateway's work. What the gateway
 * adds beyond it is its own.
 */
export async function openAiViaRelayTarget(): Promise<Target> {
  const upstream = await upstreamServer();
  const relay = await startChildServer('bench/servers/openai-relay.ts', []);
  const worker = await startChildServer('bench/servers/openai-relay-worker.ts', [String(relay.port), apiOf(upstream)]);
  const name = 'OpenAI via bare relay + worker';
  return {
    name,
    only: [KEY],
    openAi: { baseUrl: `http://127.0.0.1:${relay.port}/v1`, apiKey: 'unused', model: 'bench' },
    probe: (gc) => relay.probe(gc),
    ...notARelay(name),
    async stop() {
      await worker.stop();
      await Promise.all([relay.stop(), upstream.stop()]);
    },
  };
}

/**
 * The same kind of server (a process of its own) behind the gateway: a client streams from the
 * gateway's OpenAI API, the job goes to `spaceport worker --openai`, which streams from the server.
 */
export async function openAiViaGatewayTarget(env: Record<string, string> = {}): Promise<Target> {
  const upstream = await upstreamServer();
  const gateway = await gatewayProcess(env, {});
  // The worker from the same checkout as the gateway (bench:ab compares both hops of a version).
  const root = env.BENCH_CHECKOUT ?? ROOT;
  const logDir = mkdtempSync(join(tmpdir(), 'spaceport-bench-worker-'));
  const log = join(logDir, 'worker.log');
  const logFd = openSync(log, 'w');
  const worker = spawn(
    process.execPath,
    [
      '--import',
      join(root, 'src/runtime/register.mjs'),
      join(root, 'src/cli/main.ts'),
      'worker',
      ...['--host', `http://127.0.0.1:${gateway.server.port}`, '--spaces', SPACE, '--token', ADMIN, '--slots', '4'],
      ...['--openai', apiOf(upstream), '--model', 'bench'],
    ],
    // Its log lines (one per job as it starts and ends) go to a file, as a deployed worker's would,
    // not through a pipe to this process — which is also the client, and would be woken by each.
    { cwd: root, stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  await until(() => readFileSync(log, 'utf8').includes('registered as'), worker, log);
  const name = 'OpenAI via gateway + worker --openai';
  return {
    name,
    only: [KEY],
    openAi: { baseUrl: `http://127.0.0.1:${gateway.server.port}/v1`, apiKey: gateway.apiKey, model: SPACE },
    probe: (gc) => gateway.server.probe(gc),
    ...notARelay(name),
    async stop() {
      worker.kill();
      await Promise.all([gateway.stop(), upstream.stop()]);
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}

/** Waits for `ready` (checked every 20 ms); fails with the log's end if the worker exits first. */
async function until(ready: () => boolean, worker: ChildProcess, log: string): Promise<void> {
  let exited: number | null | undefined;
  worker.once('exit', (code) => (exited = code));
  while (!ready()) {
    if (exited !== undefined) throw new Error(`spaceport worker --openai exited (${exited}):\n${readFileSync(log, 'utf8').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
