/**
 * The least a gateway with dial-out workers can do for the time-to-first-token benchmark: the
 * client's chat completion goes over one WebSocket to a worker (openai-relay-worker.ts), which asks
 * the model server and sends its bytes back as they come; they are written into the client's
 * response untouched. No auth, no queue, no journal, no parsing of the stream — the same four
 * extra hops as the gateway's path, and nothing else. Prints {"event":"listening","port":N}.
 */
import { createServer, type ServerResponse } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';

const waiting = new Map<number, ServerResponse>();
let worker: WebSocket | undefined;
let nextId = 1;

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions' || !worker) return void res.writeHead(404).end();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const id = nextId++;
    waiting.set(id, res);
    worker!.send(JSON.stringify({ id, body: Buffer.concat(chunks).toString('utf8') }));
  });
});

// From the worker: {"id", "data"} with the model server's bytes, then {"id", "end": true}.
new WebSocketServer({ server, path: '/worker' }).on('connection', (ws) => {
  worker = ws;
  ws.on('message', (raw) => {
    const msg = JSON.parse(raw.toString()) as { id: number; data?: string; end?: boolean };
    const res = waiting.get(msg.id);
    if (!res) return;
    if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (msg.data !== undefined) res.write(msg.data);
    if (msg.end) {
      waiting.delete(msg.id);
      res.end();
    }
  });
});

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ event: 'listening', port: (server.address() as { port: number }).port })}\n`));
