import { spawn, type ChildProcess } from 'node:child_process';
import { STREAM_NODE_BYTES } from '../src/engine/redis/redis-settings.ts';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ProbeReport } from './server-probe.ts';

export const ROOT = join(import.meta.dirname, '..');

export interface ChildServer {
  child: ChildProcess;
  port: number;
  /** The server's own `process.cpuUsage()` and memory, after a full GC when `gc`. */
  probe(gc?: boolean): Promise<ProbeReport>;
  stop(): Promise<void>;
}

/** Starts a TypeScript server of this repo as its own process and waits for its listening line. */
export async function startChildServer(file: string, args: string[], env: Record<string, string> = {}): Promise<ChildServer> {
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the servers under test; in one
  // server's environment (a bench:ab variant), it adds node flags to that server only.
  const nodeArgs = `${process.env.BENCH_NODE_ARGS ?? ''} ${env.BENCH_NODE_ARGS ?? ''}`.split(' ').filter(Boolean);
  const probeModule = join(ROOT, 'bench/server-probe.ts');
  // BENCH_CHECKOUT=<dir> in a server's environment runs that checkout of the repo instead (with
  // its own node_modules, or a link to these): how bench:ab compares two versions of the code.
  const root = env.BENCH_CHECKOUT ?? ROOT;
  const child = spawn(process.execPath, [...nodeArgs, '--expose-gc', '--import', join(root, 'src/runtime/register.mjs'), '--import', probeModule, join(root, file), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const pending = new Map<number, (report: ProbeReport) => void>();
  let nextProbe = 1;
  child.on('message', (msg: { probe: number; report: ProbeReport }) => {
    pending.get(msg.probe)?.(msg.report);
    pending.delete(msg.probe);
  });
  let errors = '';
  child.stderr!.on('data', (d: Buffer) => (errors = (errors + d).slice(-4000)));
  // BENCH_SERVER_LOG=<file>: the servers' own output (with --trace-gc in BENCH_NODE_ARGS, their GCs).
  const log = env.BENCH_SERVER_LOG ?? process.env.BENCH_SERVER_LOG;
  if (log) for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (d: Buffer) => appendFileSync(log, d));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const line = out.match(/\{"event":"listening"[^\n]*\}/)?.[0];
      if (line) resolve(JSON.parse(line).port);
    });
    child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before listening:\n${errors}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    port,
    async probe(gc = false) {
      const id = nextProbe++;
      const report = await new Promise<ProbeReport>((resolve) => {
        pending.set(id, resolve);
        child.send({ probe: id, gc });
      });
      // Work a server hands to processes of its own (the gateway's WAL checkpointer) is its work too.
      return { ...report, cpuMicros: report.cpuMicros + childrenCpuMicros(child.pid!) };
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A throwaway redis-server (in memory only) on a free port, for the cross-instance benchmark. */
export async function startRedisServer(): Promise<{ url: string; cpuMicros(): number; rssBytes(): number; stop(): Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  // Set as docs/operations.md tells a deployment to (the BullMQ and floor targets share it: neither keeps a stream per job).
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--stream-node-max-bytes', String(STREAM_NODE_BYTES)], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d).includes('Ready to accept connections') && resolve());
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `redis://127.0.0.1:${port}`,
    cpuMicros: () => processCpuMicros(child.pid!),
    rssBytes: () => processRssBytes(child.pid!),
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** CPU used so far by the running child processes of `pid` (from /proc), in microseconds. */
function childrenCpuMicros(pid: number): number {
  let children: string[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return 0;
  }
  let total = 0;
  for (const c of children) {
    try {
      total += processCpuMicros(Number(c));
    } catch {
      // exited in between
    }
  }
  return total;
}

/** utime + stime of a process from /proc (Linux), in microseconds (Redis is not ours to probe). */
function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

/** VmRSS of a process from /proc (Linux), in bytes. */
export function processRssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) * 1024;
}

/** Linux's USER_HZ, 100 on every mainstream architecture. */
const CLOCK_TICKS_PER_SECOND = 100;
