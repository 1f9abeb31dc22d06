import { io as ioClient, type Socket } from 'socket.io-client';
import { startChildServer } from '../child-server.ts';
import { BASELINE_TOKEN, type Submitted, type Target } from './target.ts';

/** Socket.IO speaks its own framing: its client library plays the same client and worker. */
export async function socketIoTarget(): Promise<Target> {
  const server = await startChildServer('bench/servers/socketio-relay.ts', []);
  const url = `http://127.0.0.1:${server.port}`;
  const socketFor = (role: string) => ioClient(url, { transports: ['websocket'], query: { role }, auth: { token: BASELINE_TOKEN }, forceNew: true, reconnection: false });
  const connect = (role: string) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = socketFor(role);
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  return {
    name: 'Socket.IO relay',
    probe: (gc) => server.probe(gc),
    fresh: socketIoTarget,
    async worker(_slots, onJob) {
      const socket = await connect('worker');
      socket.on('job', (msg: { job: number; prompt: string }) => {
        socket.emit('event', { type: 'started', job: msg.job }); // as every target's worker does
        onJob(msg.job, msg.prompt, {
          token: (text) => socket.emit('event', { type: 'token', job: msg.job, text }),
          result: (data) => socket.emit('event', { type: 'result', job: msg.job, data }),
          media(payloads) {
            for (const bytes of payloads) socket.emit('event', { type: 'media', job: msg.job, media: bytes });
            socket.emit('event', { type: 'result', job: msg.job });
          },
        });
      });
      return { close: () => socket.close() };
    },
    async client() {
      const socket = await connect('client');
      const byRequest = new Map<number, Submitted>();
      const byJob = new Map<number, Submitted>();
      const received = new Map<number, number>();
      let nextId = 1;
      socket.on('event', (msg: { type: string; id?: number; job: number; media?: Buffer }) => {
        if (msg.type === 'accepted') {
          byJob.set(msg.job, byRequest.get(msg.id!)!);
          byRequest.delete(msg.id!);
        } else if (msg.type === 'token') byJob.get(msg.job)?.token?.();
        else if (msg.type === 'media') received.set(msg.job, (received.get(msg.job) ?? 0) + msg.media!.length);
        else if (msg.type === 'result') {
          const on = byJob.get(msg.job);
          byJob.delete(msg.job);
          on?.result(received.get(msg.job));
          received.delete(msg.job);
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
      const socket = socketFor('subscriber');
      await new Promise<void>((resolve, reject) => {
        socket.once('subscribed', () => resolve());
        socket.once('connect_error', reject);
      });
      socket.on('event', (msg: { type: string }) => msg.type === 'token' && onToken());
      return { close: () => socket.close() };
    },
    async connect() {
      const socket = await connect('client');
      return { close: () => socket.close() };
    },
    stop: () => server.stop(),
  };
}
