/**
 * The baseline for two instances: the raw relay split in two processes that share nothing but a
 * Redis, the least any gateway of several instances can do when a client and its worker are on
 * different ones. `clients` (argv[2]) takes submits and PUBLISHes each job; `workers` hears it,
 * hands it to a worker (round robin) and PUBLISHes the worker's messages as they came (binary
 * frames too); `clients` hears them and forwards each as the one-process relay does (RelayJobs). One PUBLISH per crossing, no
 * queue, no persistence, no claim: what the gateway's ratios against it measure is the rest.
 *
 * With RELAY_QUEUE=1 the jobs wait in a Redis list instead, for workers' slots (`/worker?slots=N`):
 * `clients` RPUSHes each job and PUBLISHes a wake-up; `workers` LPOPs as many as it has free slots
 * when woken or when a worker's result frees one — the PUBLISH of that result and the LPOP for its
 * slot leaving in one write, as a gateway's finish-and-claim does (RedisListSlots). The least two
 * instances can do when jobs queue for one-slot workers: the floor of the queue rows.
 * Prints `{"event":"listening","port":N}` on stdout.
 */
import type { IncomingMessage } from 'node:http';
import { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';
import { BASELINE_TOKEN } from '../targets/target.ts';
import { RelayJobs } from './relay-jobs.ts';
import { RedisListSlots } from './redis-list-slots.ts';

const role = process.argv[2];
const url = process.env.RELAY_REDIS_URL!;
const prefix = process.env.RELAY_REDIS_PREFIX ?? 'relay:';
const queued = process.env.RELAY_QUEUE === '1';
const JOBS = `${prefix}jobs`;
const EVENTS = `${prefix}events`;

// Queued, a turn's commands share a write (the gateway corks its Redis connection per turn alike).
const publisher = new Redis(url, { enableAutoPipelining: queued });
const subscriber = new Redis(url);
const wss = new WebSocketServer({
  port: 0,
  host: '127.0.0.1',
  perMessageDeflate: false,
  verifyClient: ({ req }: { req: IncomingMessage }) => req.url!.startsWith('/worker') || req.headers.authorization === `Bearer ${BASELINE_TOKEN}`,
});
// Said once subscribed too (below), so nothing is published before this relay hears it.
const listening = new Promise<number>((resolve) => wss.on('listening', () => resolve((wss.address() as { port: number }).port)));

if (role === 'workers' && queued) {
  const slots = new RedisListSlots(publisher, JOBS);
  await subscriber.subscribe(JOBS);
  subscriber.on('message', () => slots.pull());
  wss.on('connection', (ws, req) => {
    slots.add(ws, Number(new URL(req.url!, 'http://relay').searchParams.get('slots') ?? 1));
    ws.on('message', (data: Buffer, isBinary) => {
      void publisher.publish(EVENTS, data);
      // A worker's result frees its slot (a real relay must read that much of each message).
      if (!isBinary && JSON.parse(data.toString()).type === 'result') slots.free(ws);
    });
    ws.on('close', () => slots.remove(ws));
  });
} else if (role === 'workers') {
  const workers: WebSocket[] = [];
  let turn = 0;
  await subscriber.subscribe(JOBS);
  subscriber.on('message', (_channel: string, job: string) => {
    if (workers.length > 0) workers[turn++ % workers.length]!.send(job);
  });
  wss.on('connection', (ws) => {
    workers.push(ws);
    ws.on('message', (data: Buffer) => void publisher.publish(EVENTS, data));
    ws.on('close', () => workers.splice(workers.indexOf(ws), 1));
  });
} else {
  const jobs = new RelayJobs();
  await subscriber.subscribe(EVENTS);
  // A binary frame starts with its header's length, never with the `{` of a JSON line.
  subscriber.on('messageBuffer', (_channel: Buffer, data: Buffer) => jobs.forward(data, data[0] !== 0x7b));
  wss.on('connection', (ws, req) => {
    if (req.url === '/sub') return jobs.subscribe(ws);
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type !== 'submit') return;
      const job = JSON.stringify({ type: 'job', job: jobs.accept(ws, msg.id), prompt: msg.prompt });
      if (!queued) return void publisher.publish(JOBS, job);
      void publisher.rpush(JOBS, job);
      void publisher.publish(JOBS, ''); // the wake-up
    });
  });
}

process.stdout.write(`${JSON.stringify({ event: 'listening', port: await listening })}\n`);
process.once('SIGTERM', () => {
  publisher.disconnect();
  subscriber.disconnect();
  process.exit(0);
});
