/**
 * The same relay as raw-ws-relay.ts on Socket.IO (what many Node users would reach for): clients
 * `submit`, the relay hands the job to a worker round robin, and forwards tokens and the result
 * (a media result's Buffer travels as Socket.IO's binary attachment). Clients and subscribers must
 * present the bearer token in the handshake. WebSocket transport only, no polling. Prints `{"event":"listening","port":N}`.
 */
import { createServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { BASELINE_TOKEN } from '../targets/target.ts';

const http = createServer();
// Media payloads are 1 MiB; Socket.IO's default message cap (1e6 bytes) would drop the worker.
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false, maxHttpBufferSize: 64 * 1024 * 1024 });
const workers: Socket[] = [];
const clientOf = new Map<number, Socket>();
const seqOf = new Map<number, number>();
let nextJob = 1;
let turn = 0;

io.use((socket, next) => {
  const { role } = socket.handshake.query;
  next(role === 'worker' || socket.handshake.auth.token === BASELINE_TOKEN ? undefined : new Error('unauthorized'));
});

io.on('connection', (socket) => {
  if (socket.handshake.query.role === 'worker') {
    workers.push(socket);
    socket.on('event', (msg: { type: string; job: number }) => {
      const client = clientOf.get(msg.job);
      if (!client) return;
      const seq = (seqOf.get(msg.job) ?? 0) + 1;
      seqOf.set(msg.job, seq);
      client.emit('event', { ...msg, seq });
      io.to('subscribers').emit('event', { ...msg, seq });
      if (msg.type === 'result') {
        clientOf.delete(msg.job);
        seqOf.delete(msg.job);
      }
    });
    socket.on('disconnect', () => workers.splice(workers.indexOf(socket), 1));
    return;
  }
  if (socket.handshake.query.role === 'subscriber') {
    void socket.join('subscribers');
    socket.emit('subscribed');
    return;
  }
  socket.on('submit', (msg: { id: number; prompt: string }) => {
    if (workers.length === 0) return;
    const job = nextJob++;
    clientOf.set(job, socket);
    socket.emit('event', { type: 'accepted', id: msg.id, job });
    workers[turn++ % workers.length]!.emit('job', { type: 'job', job, prompt: msg.prompt });
  });
});

http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ event: 'listening', port })}\n`);
});
