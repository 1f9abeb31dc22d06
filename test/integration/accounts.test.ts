import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

let gw: TestGateway;

beforeAll(async () => {
  gw = await testGateway();
  await gw.createSpace({ name: 'members', inputs: ['prompt'], access: 'users' });
  expect((await gw.admin('POST', '/v1/admin/users', { username: 'ada', password: 'correct horse battery' })).status).toBe(201);
});
afterAll(() => gw.stop());

/** Signs in and returns the session cookie (name=value). */
async function signIn(username: string, password: string): Promise<string> {
  const res = await fetch(`${gw.url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(res.status).toBe(200);
  const setCookie = res.headers.get('set-cookie')!;
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Lax/);
  return setCookie.split(';')[0]!;
}

describe('accounts', () => {
  it('signs in with a password (scrypt hash stored), says who you are, and signs out', async () => {
    expect((await gw.http('POST', '/v1/auth/login', { username: 'ada', password: 'wrong password' })).body.error.code).toBe('bad_credentials');
    const cookie = await signIn('ada', 'correct horse battery');
    const me = await gw.http('GET', '/v1/me', undefined, { cookie });
    expect(me.body).toMatchObject({ kind: 'user', name: 'ada', user: { username: 'ada', role: 'user' } });
    const listed = (await gw.admin('GET', '/v1/admin/users')).body.users;
    expect(listed.find((u: { username: string }) => u.username === 'ada')).not.toHaveProperty('password_hash');
    await gw.http('POST', '/v1/auth/logout', undefined, { cookie, origin: gw.url });
    expect((await gw.http('GET', '/v1/me', undefined, { cookie })).body.kind).toBe('anonymous');
  });

  it('lets the built-in admin sign in with the admin token as password', async () => {
    const cookie = await signIn('admin', ADMIN_TOKEN);
    expect((await gw.http('GET', '/v1/me', undefined, { cookie })).body).toMatchObject({ kind: 'admin', name: 'admin' });
    expect((await gw.http('GET', '/v1/admin/workers', undefined, { cookie })).status).toBe(200);
  });

  it('users-only spaces refuse anonymous callers and record the username on jobs (cookie or the user’s own API key)', async () => {
    const anonymous = await gw.client();
    anonymous.send({ type: 'submit', id: 'a', space: 'members', prompt: 'hi' });
    expect((await anonymous.wait('refused', (m) => m.type === 'error' && m.id === 'a')).code).toBe('unauthorized');

    const cookie = await signIn('ada', 'correct horse battery');
    const viaCookie = await WsPeer.open(`${gw.ws}/v1/ws`, { cookie, origin: gw.url });
    viaCookie.send({ type: 'submit', id: 'c', space: 'members', prompt: 'from the browser' });
    await viaCookie.wait('accepted', (m) => m.type === 'accepted');

    const key = (await gw.http('POST', '/v1/me/api-keys', { name: 'laptop' }, { cookie, origin: gw.url })).body;
    expect(key.key).toMatch(/^spk_/);
    const viaKey = await gw.client(key.key);
    viaKey.send({ type: 'submit', id: 'k', space: 'members', prompt: 'from a script' });
    await viaKey.wait('accepted', (m) => m.type === 'accepted');

    // The worker sees the username on both; the remote-space protocol would pass it as `username`.
    const worker = await gw.worker(['members'], 2);
    await until('two jobs', () => worker.of('job').length === 2 || undefined);
    expect(worker.of('job').map((j) => j.user)).toEqual(['ada', 'ada']);
    // One owner: the key's jobs and the cookie's jobs are the same person's history.
    const jobs = await Promise.all([viaCookie, viaKey].map(async (p) => (await gw.admin('GET', `/v1/jobs/${p.of('accepted')[0]!.job}`)).body.owner));
    expect(jobs).toEqual(['ada', 'ada']);
    expect((await gw.http('GET', '/v1/me/api-keys', undefined, { cookie })).body.keys.map((k: { name: string }) => k.name)).toEqual(['laptop']);
    await gw.http('DELETE', `/v1/me/api-keys/${key.id}`, undefined, { cookie, origin: gw.url });
    await expect(gw.client(key.key)).rejects.toThrow('401');
    for (const p of [anonymous, viaCookie, worker]) p.close();
  });

  it('refuses a cookie-authenticated socket or change from a foreign Origin (no cross-site use of the cookie)', async () => {
    const cookie = await signIn('ada', 'correct horse battery');
    await expect(WsPeer.open(`${gw.ws}/v1/ws`, { cookie, origin: 'https://evil.example' })).rejects.toThrow('upgrade refused: 403');
    await expect(WsPeer.open(`${gw.ws}/ws/lip-sync`, { cookie, origin: 'https://evil.example' })).rejects.toThrow('upgrade refused: 403');
    const post = await gw.http('POST', '/v1/me/api-keys', {}, { cookie, origin: 'https://evil.example' });
    expect(post.body.error.code).toBe('origin_not_allowed');
    // The same cookie from the gateway's own pages works; a token needs no Origin rule.
    const own = await WsPeer.open(`${gw.ws}/v1/ws`, { cookie, origin: gw.url });
    expect((await own.wait('hello', (m) => m.type === 'hello')).identity).toMatchObject({ kind: 'user', name: 'ada' });
    own.close();
    const token = await WsPeer.open(`${gw.ws}/v1/ws`, { authorization: `Bearer ${ADMIN_TOKEN}`, origin: 'https://evil.example' });
    token.close();
  });

  it('lets admins change roles and passwords and delete users (their sessions end)', async () => {
    await gw.admin('POST', '/v1/admin/users', { username: 'bob', password: 'first password' });
    const cookie = await signIn('bob', 'first password');
    expect((await gw.admin('PATCH', '/v1/admin/users/bob', { role: 'admin', password: 'second password' })).body).toMatchObject({ role: 'admin' });
    expect((await gw.http('GET', '/v1/me', undefined, { cookie })).body.kind).toBe('admin');
    expect((await gw.http('POST', '/v1/auth/login', { username: 'bob', password: 'first password' })).status).toBe(401);
    expect((await gw.admin('POST', '/v1/admin/users', { username: 'BOB', password: 'another one' })).body.error.code).toBe('user_exists');
    await gw.admin('DELETE', '/v1/admin/users/bob');
    expect((await gw.http('GET', '/v1/me', undefined, { cookie })).body.kind).toBe('anonymous');
    expect((await gw.http('GET', '/v1/admin/users', undefined, { cookie })).status).toBe(401);
  });
});

describe('admin worker actions', () => {
  it('drains a worker (no new jobs, it is told) and disconnects one (its job is requeued)', async () => {
    await gw.createSpace({ name: 'managed', inputs: ['prompt'] });
    const worker = await gw.worker(['managed']);
    const id = worker.of('registered')[0]!.worker;
    expect((await gw.admin('POST', `/v1/admin/workers/${id}/drain`)).status).toBe(202);
    expect(await worker.wait('draining', (m) => m.type === 'draining')).toMatchObject({ draining: true, by: 'admin' });
    const client = await gw.client(ADMIN_TOKEN);
    client.send({ type: 'submit', space: 'managed', prompt: 'waits' });
    await client.wait('accepted', (m) => m.type === 'accepted');
    // A job for it would have been sent in the turn the submit was taken, before `accepted`.
    await worker.settled();
    expect(worker.of('job')).toHaveLength(0);
    await gw.admin('POST', `/v1/admin/workers/${id}/undrain`);
    await worker.wait('job after undrain', (m) => m.type === 'job');
    await gw.admin('POST', `/v1/admin/workers/${id}/disconnect`);
    expect((await worker.waitClosed()).code).toBe(1000);
    expect(await client.wait('requeued', (m) => m.type === 'queued' && m.reason === 'worker disconnected')).toMatchObject({ attempt: 1 });
    expect((await gw.admin('POST', '/v1/admin/workers/worker_nope/drain')).status).toBe(404);
    client.close();
  });
});
