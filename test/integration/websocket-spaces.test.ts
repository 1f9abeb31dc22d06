import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

let gw: TestGateway;

beforeAll(async () => {
  // Short leases, so the test that a lease outlives them without heartbeats waits under a second.
  gw = await testGateway({ core: { leaseMs: 400, heartbeatMs: 100 } });
  await gw.createSpace({ name: 'Remote', inputs: ['prompt', 'files'], open_registration: true });
});
afterAll(() => gw.stop());

async function remoteApp(spaceName: string, extra: Record<string, unknown> = {}): Promise<WsPeer> {
  const app = await WsPeer.open(`${gw.ws}/websocket-spaces`);
  app.send({ type: 'register', space_name: spaceName, ...extra });
  await app.wait('registration reply', (m) => m.type === 'registered' || m.type === 'registration_failed');
  return app;
}

describe('WebSocket Spaces dialect (/websocket-spaces)', () => {
  it('registers by name, sends inference_request with username and payload, takes inference_result', async () => {
    const app = await remoteApp('Remote');
    const reg = app.of('registered')[0]!;
    expect(reg).toMatchObject({ status: 'success', space_name: 'Remote' });
    expect(reg.connection_id).toMatch(/^worker_/);
    expect(reg.space_id).toMatch(/^space_/);

    const client = await gw.client(ADMIN_TOKEN);
    client.send({
      type: 'submit',
      space: 'Remote',
      prompt: 'describe this',
      files: [{ name: 'a.txt', mime: 'text/plain', data: Buffer.from('hi').toString('base64') }],
    });
    const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
    const request = await app.wait('inference_request', (m) => m.type === 'inference_request');
    expect(request).toMatchObject({ request_id: job, username: 'admin', payload: { prompt: 'describe this' } });
    expect(Date.parse(request.payload.timestamp)).not.toBeNaN();
    expect(request.payload.files[0]).toMatchObject({ name: 'a.txt', mime: 'text/plain', size: 2, data: Buffer.from('hi').toString('base64') });
    await client.wait('started', (m) => m.type === 'started' && m.job === job);

    app.send({ type: 'inference_result', request_id: job, username: 'admin', status: 'completed', result: { text_output: 'a prompt', confidence: 0.9 } });
    const result = await client.wait('result', (m) => m.type === 'result' && m.job === job);
    expect(result.data).toEqual({ text_output: 'a prompt', confidence: 0.9 });
    client.close();
    app.close();
  });

  it('turns inference_error into a failed job with the app message', async () => {
    const app = await remoteApp('Remote');
    const client = await gw.client(ADMIN_TOKEN);
    client.send({ type: 'submit', space: 'Remote', prompt: 'x' });
    const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
    await app.wait('inference_request', (m) => m.type === 'inference_request');
    app.send({ type: 'inference_error', request_id: job, status: 'failed', error: 'GPU out of memory' });
    const failed = await client.wait('failed', (m) => m.type === 'failed' && m.job === job);
    expect(failed).toMatchObject({ code: 'worker_error', message: 'GPU out of memory' });
    client.close();
    app.close();
  });

  it('keeps the lease without heartbeats while the socket lives, and tells the app about a cancel', async () => {
    const app = await remoteApp('Remote');
    const client = await gw.client(ADMIN_TOKEN);
    client.send({ type: 'submit', space: 'Remote', prompt: 'slow' });
    const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
    await app.wait('inference_request', (m) => m.type === 'inference_request');
    // Twice the lease (400 ms here) with no message from the app: still its job.
    await new Promise((r) => setTimeout(r, 800));
    expect(client.of('queued', job).filter((m) => m.attempt > 0 && m.reason)).toHaveLength(0);
    client.send({ type: 'cancel', job });
    const told = await app.wait('inference_cancelled', (m) => m.type === 'inference_cancelled');
    expect(told).toMatchObject({ request_id: job, reason: 'cancelled' });
    await client.wait('cancelled', (m) => m.type === 'cancelled' && m.job === job);
    // A late answer is refused as stale and reaches no client.
    app.send({ type: 'inference_result', request_id: job, status: 'completed', result: {} });
    expect((await app.wait('stale', (m) => m.type === 'error')).code).toBe('stale_lease');
    expect(client.of('result', job)).toHaveLength(0);
    client.close();
    app.close();
  }, 15_000);

  it('answers malformed messages with an error and keeps the connection', async () => {
    const app = await remoteApp('Remote');
    app.send('{not json');
    app.send({ type: 'inference_result' });
    app.send({ type: 'teleport' });
    await app.wait('three errors', (m) => m.type === 'error' && app.of('error').length === 3);
    expect(app.of('error').map((m) => m.code)).toEqual(['invalid_json', 'invalid_message', 'unknown_type']);
    expect(app.closed).toBeNull();
    app.close();
  });

  it('refuses a space that needs a token, or does not exist, and closes', async () => {
    await gw.createSpace({ name: 'Locked', inputs: ['prompt'] });
    const locked = await remoteApp('Locked');
    expect(locked.of('registration_failed')[0]).toMatchObject({ code: 'unauthorized', status: 'failed' });
    expect((await locked.waitClosed()).code).toBe(4001);
    const missing = await remoteApp('Nowhere');
    expect(missing.of('registration_failed')[0]).toMatchObject({ code: 'unknown_space' });
    expect((await missing.waitClosed()).code).toBe(4004);
    const withToken = await remoteApp('Locked', { token: ADMIN_TOKEN });
    expect(withToken.of('registered')).toHaveLength(1);
    withToken.close();
  });
});
