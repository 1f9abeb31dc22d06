import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE } from '../../src/protocol/close-codes.ts';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { sdkClient } from '../helpers/sdk.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

/**
 * A credential is checked for the whole life of the sockets opened with it: revoking it closes
 * them with 4003 within a second (on every instance), and nobody else's socket is touched.
 */
const WITHIN_A_SECOND = 1000;

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
  await gw.createSpace({ name: 'text', inputs: ['prompt'] });
  for (const username of ['ada', 'alan', 'grace']) await gw.admin('POST', '/v1/admin/users', { username, password: `${username}-password-1` });
});
afterAll(() => gw.stop());

async function signIn(username: string): Promise<string> {
  const res = await fetch(`${gw.url}/v1/auth/login`, { method: 'POST', body: JSON.stringify({ username, password: `${username}-password-1` }) });
  expect(res.status).toBe(200);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}
const withCookie = (cookie: string) => WsPeer.open(`${gw.ws}/v1/ws`, { cookie });
const ownKey = async (cookie: string) => (await gw.http('POST', '/v1/me/api-keys', { name: 'script' }, { cookie })).body as { id: string; key: string };

async function expectRevokedClose(peer: WsPeer) {
  expect((await peer.waitClosed(WITHIN_A_SECOND)).code).toBe(CLOSE.credentialRevoked);
}

describe('credentials checked for their whole life', () => {
  it('an admin revoking an API key closes the sockets opened with it, not others', async () => {
    const key = (await gw.admin('POST', '/v1/admin/api-keys', { name: 'ci' })).body;
    const other = (await gw.admin('POST', '/v1/admin/api-keys', { name: 'other' })).body;
    const a = await gw.client(key.key);
    const b = await gw.client(key.key);
    const bystander = await gw.client(other.key);
    expect((await gw.admin('DELETE', `/v1/admin/api-keys/${key.id}`)).status).toBe(200);
    await expectRevokedClose(a);
    await expectRevokedClose(b);
    bystander.send({ type: 'ping', id: 'still' });
    await bystander.wait('pong', (m) => m.type === 'pong');
    bystander.close();
    await expect(gw.client(key.key)).rejects.toThrow(/401/); // and it cannot come back
  });

  it('a user revoking their own key, signing out, being deleted or demoted closes their sockets', async () => {
    const cookie = await signIn('ada');
    const key = await ownKey(cookie);
    const byKey = await gw.client(key.key);
    expect((await gw.http('DELETE', `/v1/me/api-keys/${key.id}`, undefined, { cookie })).status).toBe(200);
    await expectRevokedClose(byKey);

    const byCookie = await withCookie(cookie);
    const elsewhere = await withCookie(await signIn('ada')); // another sign-in of the same user
    expect((await fetch(`${gw.url}/v1/auth/logout`, { method: 'POST', headers: { cookie } })).status).toBe(200);
    await expectRevokedClose(byCookie);
    expect(elsewhere.closed).toBeNull();
    elsewhere.close();

    const alan = await withCookie(await signIn('alan'));
    expect((await gw.admin('DELETE', '/v1/admin/users/alan')).status).toBe(200);
    await expectRevokedClose(alan);

    const grace = await withCookie(await signIn('grace'));
    expect((await gw.admin('PATCH', '/v1/admin/users/grace', { role: 'admin' })).status).toBe(200);
    await expectRevokedClose(grace);
  });

  it('revoking a worker token disconnects the workers registered with it; the held job goes back to the queue', async () => {
    const token = (await gw.admin('POST', '/v1/admin/spaces/text/worker-tokens', {})).body;
    const worker = await gw.worker(['text'], 1, token.token);
    const client = await gw.client();
    client.send({ type: 'submit', space: 'text', prompt: 'p' });
    const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
    await worker.next('job', (m) => m.type === 'job');
    expect((await gw.admin('DELETE', `/v1/admin/spaces/text/worker-tokens/${token.id}`)).status).toBe(200);
    await expectRevokedClose(worker);
    await client.wait('requeued', (m) => m.type === 'queued' && m.job === job && m.attempt === 1);
    client.close();
  });

  it('an event stream (SSE) opened with a key ends when the key is revoked', async () => {
    const key = (await gw.admin('POST', '/v1/admin/api-keys', { name: 'sse' })).body;
    const auth = { authorization: `Bearer ${key.key}` };
    const { job } = (await gw.http('POST', '/v1/jobs', { space: 'text', prompt: 'waits' }, auth)).body;
    const res = await fetch(`${gw.url}/v1/jobs/${job}/events`, { headers: auth });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('retry:');
    await gw.admin('DELETE', `/v1/admin/api-keys/${key.id}`);
    // Read to the end: the gateway ends the stream (queued events may come first).
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();
    expect(await Promise.race([ended, new Promise((r) => setTimeout(() => r(false), WITHIN_A_SECOND))])).toBe(true);
  });

  it('the client SDK does not reconnect with a revoked credential: its jobs end with credential_revoked', async () => {
    const key = (await gw.admin('POST', '/v1/admin/api-keys', { name: 'sdk' })).body;
    const states: string[] = [];
    const client = await sdkClient(gw.url, { token: key.key, onState: (s) => states.push(s) });
    const job = await client.submit('text', { prompt: 'waits in the queue' });
    const result = job.result().catch((err: { code: string }) => err.code);
    await gw.admin('DELETE', `/v1/admin/api-keys/${key.id}`);
    expect(await result).toBe('credential_revoked');
    await until('closed', () => client.connectionState === 'closed' || undefined);
    expect(states).not.toContain('reconnecting');
  });
});

describe('across instances (Redis)', () => {
  let redis: TestRedis;
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    const shared = { redis: { url: redis.url, prefix: `revoke-${Date.now()}:` } };
    a = await testGateway(shared);
    b = await testGateway(shared);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  it('a key revoked on one instance closes its sockets on another', async () => {
    const key = (await a.admin('POST', '/v1/admin/api-keys', { name: 'shared' })).body;
    const onB = await b.client(key.key);
    expect((await a.admin('DELETE', `/v1/admin/api-keys/${key.id}`)).status).toBe(200);
    await expectRevokedClose(onB);
  });
});
