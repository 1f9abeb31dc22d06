/**
 * The baseline: the least a WebSocket relay can do for the same traffic. Clients submit, the relay
 * hands the job to a worker (round robin), and forwards the worker's tokens and result back
 * (RelayJobs: parsed and re-serialised with a `seq`; binary frames as they are). Clients and
 * subscribers must present the bearer token (auth is a string compare). No queue, persistence,
 * limits or resume — which is exactly what the ratios against it measure.
 * Prints `{"event":"listening","port":N}` on stdout.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { BASELINE_TOKEN } from '../targets/target.ts';
import { RelayJobs } from './relay-jobs.ts';

const wss = new WebSocketServer({
  port: 0,
  host: '127.0.0.1',
  perMessageDeflate: false,
  verifyClient: ({ req }: { req: IncomingMessage }) => req.url!.startsWith('/worker') || req.headers.authorization === `Bearer ${BASELINE_TOKEN}`,
});
const workers: WebSocket[] = [];
const jobs = new RelayJobs();
let turn = 0;

wss.on('connection', (ws, req) => {
  if (req.url!.startsWith('/worker')) {
    workers.push(ws);
    ws.on('message', (data: Buffer, isBinary) => jobs.forward(data, isBinary));
    ws.on('close', () => workers.splice(workers.indexOf(ws), 1));
    return;
  }
  if (req.url === '/sub') return jobs.subscribe(ws);
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.type !== 'submit' || workers.length === 0) return;
    const job = jobs.accept(ws, msg.id);
    workers[turn++ % workers.length]!.send(JSON.stringify({ type: 'job', job, prompt: msg.prompt }));
  });
});

wss.on('listening', () => {
  const { port } = wss.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ event: 'listening', port })}\n`);
});
