/**
 * The baseline: the least a WebSocket relay can do for the same traffic. Clients submit, the relay
 * hands the job to a worker (round robin), and forwards the worker's tokens and result back,
 * parsing and re-serialising each message as any real relay must; a worker's binary frame (a
 * media result) is forwarded as it is, after reading its header for the job. Clients and
 * subscribers must present the bearer token (auth is a string compare). No queue, persistence,
 * limits or resume — which is exactly what the ratios against it measure.
 * Prints `{"event":"listening","port":N}` on stdout.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame } from '../../src/protocol/binary-frame.ts';
import { BASELINE_TOKEN } from '../targets/target.ts';

const wss = new WebSocketServer({
  port: 0,
  host: '127.0.0.1',
  perMessageDeflate: false,
  verifyClient: ({ req }: { req: IncomingMessage }) => req.url === '/worker' || req.headers.authorization === `Bearer ${BASELINE_TOKEN}`,
});
const workers: WebSocket[] = [];
/** Fan-out subscribers: every event goes to each of them as well (serialised once). */
const subscribers = new Set<WebSocket>();
const clientOf = new Map<number, WebSocket>();
const seqOf = new Map<number, number>();
let nextJob = 1;
let turn = 0;

function finish(job: number): void {
  clientOf.delete(job);
  seqOf.delete(job);
}

wss.on('connection', (ws, req) => {
  if (req.url === '/worker') {
    workers.push(ws);
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        const job = Number(decodeFrame(data)?.header.ref);
        clientOf.get(job)?.send(data, { binary: true });
        return;
      }
      const msg = JSON.parse(data.toString());
      const client = clientOf.get(msg.job);
      if (!client) return;
      const seq = (seqOf.get(msg.job) ?? 0) + 1;
      seqOf.set(msg.job, seq);
      const line = JSON.stringify({ ...msg, seq });
      client.send(line);
      for (const sub of subscribers) sub.send(line);
      if (msg.type === 'result') finish(msg.job);
    });
    ws.on('close', () => workers.splice(workers.indexOf(ws), 1));
    return;
  }
  if (req.url === '/sub') {
    subscribers.add(ws);
    ws.on('close', () => subscribers.delete(ws));
    ws.send('{"type":"subscribed"}');
    return;
  }
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.type !== 'submit' || workers.length === 0) return;
    const job = nextJob++;
    clientOf.set(job, ws);
    ws.send(JSON.stringify({ type: 'accepted', id: msg.id, job }));
    workers[turn++ % workers.length]!.send(JSON.stringify({ type: 'job', job, prompt: msg.prompt }));
  });
});

wss.on('listening', () => {
  const { port } = wss.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ event: 'listening', port })}\n`);
});
