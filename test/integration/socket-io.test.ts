import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { startRedis } from '../helpers/redis.ts';

/** The WebSocket Spaces document's remote apps are Socket.IO clients: here, Node's socket.io-client. */
let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
  await gw.createSpace({ name: 'SioSpace', inputs: ['prompt'], open_registration: true });
  await gw.createSpace({ name: 'TokenSpace', inputs: ['prompt'] });
});
afterAll(() => gw.stop());

/** A remote app's socket, recording every event it receives. */
function remoteApp(transports: Array<'websocket' | 'polling'>, auth?: Record<string, string>): { socket: Socket; events: Array<{ event: string; data: any }> } {
  const socket = io(gw.url, { transports, reconnection: false, ...(auth && { auth }) });
  const events: Array<{ event: string; data: any }> = [];
  socket.onAny((event, data) => events.push({ event, data }));
  return { socket, events };
}
const next = (events: Array<{ event: string; data: any }>, event: string, match: (d: any) => boolean = () => true) =>
  until(`${event}`, () => events.find((e) => e.event === event && match(e.data))?.data);

describe('WebSocket Spaces over Socket.IO', () => {
  it('registers with emit("register"), answers each inference_request with emit("inference_result"), over WebSocket', async () => {
    const { socket, events } = remoteApp(['websocket']);
    socket.emit('register', { type: 'register', space_name: 'SioSpace' });
    const registered = await next(events, 'registered');
    expect(registered).toMatchObject({ type: 'registered', status: 'success', space_name: 'SioSpace' });
    expect(registered.connection_id).toBeTruthy();
    expect(registered.space_id).toMatch(/^space_/);
    expect((await gw.http('GET', '/v1/spaces/SioSpace')).body.connected).toBe(true);

    const client = await gw.client(ADMIN_TOKEN);
    client.send({ type: 'submit', space: 'SioSpace', prompt: 'hello over socket.io' });
    const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
    const request = await next(events, 'inference_request');
    expect(request).toMatchObject({ type: 'inference_request', request_id: job, username: 'admin', payload: { prompt: 'hello over socket.io' } });
    socket.emit('inference_result', { type: 'inference_result', request_id: job, status: 'completed', result: { text_output: 'HELLO' } });
    expect(await client.wait('result', (m) => m.type === 'result' && m.job === job)).toMatchObject({ data: { text_output: 'HELLO' } });

    // An error answer fails the job with the app's message.
    client.send({ type: 'submit', space: 'SioSpace', prompt: 'fail please' });
    const second = (await client.wait('second accepted', (m) => m.type === 'accepted' && m.job !== job)).job;
    await next(events, 'inference_request', (d) => d.request_id === second);
    socket.emit('inference_error', { request_id: second, status: 'failed', error: 'GPU out of memory' });
    expect(await client.wait('failed', (m) => m.type === 'failed' && m.job === second)).toMatchObject({ code: 'worker_error', message: 'GPU out of memory' });

    // Leaving requeues nothing held and shows the space as not connected.
    socket.disconnect();
    await until('not connected', async () => (await gw.http('GET', '/v1/spaces/SioSpace')).body.connected === false || undefined);
    client.close();
  });

  it('speaks `message` events to an app that sends its messages with send(), over long-polling too', async () => {
    const { socket, events } = remoteApp(['polling']);
    socket.send({ type: 'register', space_name: 'SioSpace' });
    expect(await next(events, 'message', (d) => d.type === 'registered')).toMatchObject({ status: 'success', space_name: 'SioSpace' });
    const client = await gw.client(ADMIN_TOKEN);
    client.send({ type: 'submit', space: 'SioSpace', prompt: 'polled' });
    const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
    const request = await next(events, 'message', (d) => d.type === 'inference_request');
    expect(request.request_id).toBe(job);
    socket.send({ type: 'inference_result', request_id: job, status: 'completed', result: { text_output: 'via polling' } });
    expect(await client.wait('result', (m) => m.type === 'result' && m.job === job)).toMatchObject({ data: { text_output: 'via polling' } });
    socket.disconnect();
    client.close();
  });

  it('requeues the request of an app that drops, and refuses a space that needs a token without one', async () => {
    const first = remoteApp(['websocket']);
    first.socket.emit('register', { space_name: 'SioSpace' });
    await next(first.events, 'registered');
    const client = await gw.client(ADMIN_TOKEN);
    client.send({ type: 'submit', space: 'SioSpace', prompt: 'survives' });
    const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
    await next(first.events, 'inference_request');
    first.socket.disconnect();
    await client.wait('requeued', (m) => m.type === 'queued' && m.job === job && m.attempt === 1);
    const second = remoteApp(['websocket']);
    second.socket.emit('register', { space_name: 'SioSpace' });
    await next(second.events, 'inference_request', (d) => d.request_id === job);
    second.socket.emit('inference_result', { request_id: job, result: { text_output: 'second app' } });
    await client.wait('result', (m) => m.type === 'result' && m.job === job);
    second.socket.disconnect();

    const refused = remoteApp(['websocket']);
    refused.socket.emit('register', { space_name: 'TokenSpace' });
    expect(await next(refused.events, 'registration_failed')).toMatchObject({ status: 'failed', code: 'unauthorized' });
    await until('disconnected', () => !refused.socket.connected || undefined);
    const withToken = remoteApp(['websocket'], { token: ADMIN_TOKEN });
    withToken.socket.emit('register', { space_name: 'TokenSpace' });
    expect(await next(withToken.events, 'registered')).toMatchObject({ space_name: 'TokenSpace' });
    withToken.socket.disconnect();
    client.close();
  });
});

describe('WebSocket Spaces over Socket.IO, two instances sharing Redis', () => {
  it('serves a user on one instance from a remote app connected to the other', async () => {
    const redis = await startRedis();
    const prefix = `sio${Math.random().toString(36).slice(2)}:`;
    const [a, b] = [await testGateway({ redis: { url: redis.url, prefix } }), await testGateway({ redis: { url: redis.url, prefix } })];
    try {
      await a.createSpace({ name: 'Shared', inputs: ['prompt'], open_registration: true });
      const socket = io(a.url, { transports: ['websocket'], reconnection: false });
      const events: Array<{ event: string; data: any }> = [];
      socket.onAny((event, data) => events.push({ event, data }));
      socket.emit('register', { space_name: 'Shared' });
      await next(events, 'registered');
      await until('connected as seen from the other instance', async () => (await b.http('GET', '/v1/spaces/Shared')).body.connected || undefined);
      const client = await b.client(ADMIN_TOKEN);
      client.send({ type: 'submit', space: 'Shared', prompt: 'across instances' });
      const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
      const request = await next(events, 'inference_request', (d) => d.request_id === job);
      socket.emit('inference_result', { request_id: request.request_id, result: { text_output: 'from instance a' } });
      expect(await client.wait('result', (m) => m.type === 'result' && m.job === job)).toMatchObject({ data: { text_output: 'from instance a' } });
      socket.disconnect();
      client.close();
    } finally {
      await a.stop();
      await b.stop();
      await redis.stop();
    }
  });
});
