import { spawn } from 'node:child_process';
import { STREAM_NODE_BYTES } from '../../src/engine/redis/redis-settings.ts';
import { createServer } from 'node:net';
import { until } from './latch.ts';

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Kills the server; `restart` brings it back on the same port (with its data when persistent). */
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that hangs with its connections open. */
  freeze(): void;
  thaw(): void;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Debian's redis-server on a free port for one test file, never a shared one. In memory only, or
 * with `persistentDir` an append-only file that fsyncs every write (so a kill loses nothing).
 * `settings`: more of redis-server's options, as its command line takes them.
 */
export async function startRedis(persistentDir?: string, settings: string[] = []): Promise<TestRedis> {
  const port = await freePort();
  let child: ReturnType<typeof spawn> | undefined;
  const persistence = persistentDir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', persistentDir] : ['--appendonly', 'no'];
  const launch = async () => {
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--protected-mode', 'no', '--stream-node-max-bytes', String(STREAM_NODE_BYTES), ...settings],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child = proc;
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    await until('redis-server to be ready', () => out.includes('Ready to accept connections') || undefined);
  };
  const halt = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: halt,
    kill: halt,
    restart: launch,
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
  };
}
