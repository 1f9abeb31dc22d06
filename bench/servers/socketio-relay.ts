/**
 * The same relay as raw-ws-relay.ts on Socket.IO (what many Node users would reach for): clients
 * `submit`, the relay hands the job to a worker round robin, and forwards tokens and the result.
 * WebSocket transport only, no polling. Prints `{"event":"listening","port":N}`.
 */
import { createServer } from 'node:http';
import { Server, type Socket } from 'socket.io';

const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
const workers: Socket[] = [];
const clientOf = new Map<number, Socket>();
const seqOf = new Map<number, number>();
let nextJob = 1;
let turn = 0;

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
