import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawRequest } from '../helpers/raw-request.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { WsPeer } from '../helpers/ws-peer.ts';

/**
 * Per-identity budgets: one caller filling its budget gets quota_exceeded (not queue_full) and
 * nobody else notices. Anonymous callers count by client address, told apart through a trusted
 * proxy's X-Forwarded-For; through Redis a budget holds across instances.
 */
const BUDGETS = { jobsPerSpace: 3, sessions: 2, anonymousConnections: 4 };

/** An anonymous client on /v1/ws as seen through the trusted proxy, from `address`. */
const from = (gw: TestGateway, address: string) => WsPeer.open(`${gw.ws}/v1/ws`, { 'x-forwarded-for': address });

async function submit(peer: WsPeer, id: string): Promise<Record<string, any>> {
  peer.send({ type: 'submit', id, space: 'text', prompt: 'p' });
  return peer.wait(`answer ${id}`, (m) => m.id === id && (m.type === 'accepted' || m.type === 'error'));
}

describe.each(['embedded', 'redis'] as const)('budgets (%s engine)', (engine) => {
  let redis: TestRedis | undefined;
  let gw: TestGateway;
  let other: TestGateway;
  beforeAll(async () => {
    let shared = {};
    if (engine === 'redis') {
      redis = await startRedis();
      shared = { redis: { url: redis.url, prefix: `budgets-${Date.now()}:` } };
    }
    gw = await testGateway({ ...shared, budgets: BUDGETS, trustedProxies: ['127.0.0.1'] });
    other = engine === 'redis' ? await testGateway({ ...shared, budgets: BUDGETS, trustedProxies: ['127.0.0.1'] }) : gw;
    await gw.createSpace({ name: 'text', inputs: ['prompt'], max_queue: 1000 });
  });
  afterAll(async () => {
    if (other !== gw) await other?.stop();
    await gw?.stop();
    await redis?.stop();
  });

  it('one caller’s unfinished jobs in a space are capped with quota_exceeded; another caller is unaffected; an ended job frees its place', async () => {
    const greedy = await from(gw, '198.51.100.7');
    for (let i = 0; i < 3; i++) expect((await submit(greedy, `g${i}`)).type).toBe('accepted');
    const refused = await submit(greedy, 'g3');
    expect(refused).toMatchObject({ type: 'error', code: 'quota_exceeded' });
    // Another connection from the same address, even on another instance, is the same caller.
    const again = await from(other, '198.51.100.7');
    expect((await submit(again, 'a0')).code).toBe('quota_exceeded');
    // HTTP counts the same.
    const http = await gw.http('POST', '/v1/jobs', { space: 'text', prompt: 'p' }, { 'x-forwarded-for': '198.51.100.7' });
    expect(http.status).toBe(429);
    expect(http.body.error.code).toBe('quota_exceeded');

    const honest = await from(other, '198.51.100.8');
    expect((await submit(honest, 'h0')).type).toBe('accepted');

    // A worker finishes one of the greedy caller's jobs: it may submit one more.
    const worker = await gw.worker(['text']);
    const job = await worker.next('a job', (m) => m.type === 'job');
    worker.send({ type: 'result', job: job.job, data: 'done' });
    await greedy.wait('its result', (m) => m.type === 'result' && m.job === job.job);
    expect((await submit(greedy, 'g4')).type).toBe('accepted');
    for (const p of [greedy, again, honest, worker]) p.close();
  });

  it('caps open sessions per caller; the cap is per caller', async () => {
    const create = (address: string) => gw.http('POST', '/ws/session/create', undefined, { 'x-forwarded-for': address });
    await gw.createSpace({ name: 'images-to-3d', inputs: ['image'] }).catch(() => {});
    expect((await create('203.0.113.1')).status).toBe(200);
    expect((await create('203.0.113.1')).status).toBe(200);
    const third = await create('203.0.113.1');
    expect(third.status).toBe(429);
    expect(JSON.stringify(third.body)).toContain('quota_exceeded');
    expect((await create('203.0.113.2')).status).toBe(200);
  });

  it('caps open connections per caller, on every instance, refused before the upgrade with 429', async () => {
    const open: WsPeer[] = [];
    for (let i = 0; i < 4; i++) open.push(await from(i % 2 ? other : gw, '192.0.2.50'));
    await expect(from(gw, '192.0.2.50')).rejects.toThrow(/429/);
    await expect(from(other, '192.0.2.50')).rejects.toThrow(/429/);
    const stranger = await from(gw, '192.0.2.51');
    open[0]!.close();
    await open[0]!.waitClosed();
    await expect
      .poll(
        async () =>
          from(gw, '192.0.2.50').then(
            (p) => (open.push(p), true),
            () => false,
          ),
        { timeout: 10_000 },
      )
      .toBe(true);
    for (const p of [...open, stranger]) p.close();
  });

  it('gives back the count of a handshake refused after the budget check (a connection is counted before its handshake is answered)', async () => {
    // No Sec-WebSocket-Key: the budget passes, then the handshake is refused with 400 — six times, past the cap of four.
    for (let i = 0; i < 6; i++) {
      const answer = await rawRequest(gw.port, '/v1/ws', 'Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nX-Forwarded-For: 192.0.2.60\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 400/);
    }
    const counted = await Promise.all([from(gw, '192.0.2.60'), from(other, '192.0.2.60')]);
    for (const p of counted) p.close();
  });
});

describe('anonymous callers are told apart', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await testGateway();
    await gw.createSpace({ name: 'images-to-3d', inputs: ['image'] });
  });
  afterAll(() => gw.stop());

  /** A browser's visitor cookie, as loading one of our pages gives it. */
  async function visitorCookie(): Promise<string> {
    const res = await fetch(`${gw.url}/`, { headers: { accept: 'text/html' } });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('spaceport_visitor='));
    expect(cookie).toBeDefined();
    return cookie!.split(';')[0]!;
  }

  it('gives each browser its own signed visitor cookie, and a forged one is not taken', async () => {
    const a = await visitorCookie();
    const b = await visitorCookie();
    expect(a).not.toBe(b);
    const [name, value] = a.split('=') as [string, string];
    const forged = `${name}=${value.slice(0, -2)}xx`;
    const res = await fetch(`${gw.url}/`, { headers: { accept: 'text/html', cookie: forged } });
    expect(res.headers.getSetCookie().some((c) => c.startsWith('spaceport_visitor='))).toBe(true); // a new one replaces it
  });

  it('a reconstruction session is visible and deletable only by the visitor that created it', async () => {
    const alice = await visitorCookie();
    const mallory = await visitorCookie();
    const created = await gw.http('POST', '/ws/session/create', undefined, { cookie: alice });
    const id = created.body.session_id as string;
    expect((await gw.http('GET', '/ws/sessions', undefined, { cookie: alice })).body.sessions.map((s: any) => s.session_id)).toContain(id);
    expect((await gw.http('GET', '/ws/sessions', undefined, { cookie: mallory })).body.count).toBe(0);
    expect((await gw.http('GET', `/ws/session/${id}`, undefined, { cookie: mallory })).status).toBe(404);
    expect((await gw.http('DELETE', `/ws/session/${id}`, undefined, { cookie: mallory })).status).toBe(404);
    expect((await gw.http('GET', `/ws/session/${id}`, undefined, { cookie: alice })).status).toBe(200);
    expect((await gw.http('DELETE', `/ws/session/${id}`, undefined, { cookie: alice })).status).toBe(200);
  });

  it('workers are told who submitted by an owner id that differs between visitors', async () => {
    await gw.createSpace({ name: 'text', inputs: ['prompt'] });
    const worker = await gw.worker(['text'], 2);
    const owners: string[] = [];
    for (const cookie of [await visitorCookie(), await visitorCookie()]) {
      const peer = await WsPeer.open(`${gw.ws}/v1/ws`, { cookie });
      peer.send({ type: 'submit', space: 'text', prompt: 'p' });
      const job = await worker.next('job', (m) => m.type === 'job');
      expect(job.user).toBe('anonymous');
      owners.push(job.owner);
      peer.close();
    }
    expect(owners[0]).toMatch(/^anon_/);
    expect(owners[0]).not.toBe(owners[1]);
    worker.close();
  });
});
