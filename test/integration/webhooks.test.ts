import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../src/sdk/node.ts';
import { ADMIN_TOKEN, testGateway, type TestGateway, twoInstances } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

/**
 * Webhooks (docs/webhooks.md) against a real receiver: signed, retried until answered, one
 * delivery per event however many instances send, and never to a private address unless allowed.
 */
interface Received {
  delivery: string;
  event: string;
  signature: string;
  body: string;
}

/** An HTTP receiver that records every request and answers 500 to the first `failing` of each delivery. */
async function receiver(failing = 0): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const delivery = String(req.headers['spaceport-delivery']);
      got.push({ delivery, event: String(req.headers['spaceport-event']), signature: String(req.headers['spaceport-signature']), body });
      res.writeHead(got.filter((g) => g.delivery === delivery).length <= failing ? 500 : 204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, close: () => new Promise((r) => server.close(() => r())) };
}

const FAST_HOOKS = { webhookIntervalMs: 50, webhookRetryMs: 100 };
let redis: TestRedis;
let gw: TestGateway;
let strict: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  gw = await testGateway({ webhookAllow: ['127.0.0.1'], core: FAST_HOOKS });
  strict = await testGateway({ core: FAST_HOOKS });
});
afterAll(async () => {
  await Promise.all([gw.stop(), strict.stop()]);
  await redis.stop();
});

/** Runs one job to its result on a space, with a worker of the SDK. */
async function runJob(gateway: TestGateway, space: string): Promise<string> {
  const worker = serve({ host: gateway.url, spaces: [space], token: ADMIN_TOKEN }, async () => 'hooked');
  await worker.ready;
  const client = await gateway.client(ADMIN_TOKEN);
  client.send({ type: 'submit', id: 's', space, prompt: 'p' });
  const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
  await client.wait('result', (m) => m.type === 'result' && m.job === job);
  worker.close();
  client.close();
  return job;
}

describe('webhooks', () => {
  it('sends a space’s job events signed with its secret, retrying one that failed until it is answered, and shows the admin each delivery', async () => {
    const hook = await receiver(2);
    const created = await gw.admin('POST', '/v1/admin/spaces', { name: 'hooked', inputs: ['prompt'], webhook_url: hook.url, webhook_events: ['started', 'completed'] });
    expect(created.status).toBe(201);
    const secret = created.body.webhook_secret as string;
    expect(secret).toMatch(/^whsec_/);
    const job = await runJob(gw, 'hooked');
    await until('both delivered', () => ['job.completed', 'job.started'].every((e) => hook.got.filter((g) => g.event === e).length === 3) || undefined, 10_000);
    const completed = hook.got.filter((g) => g.event === 'job.completed');
    // One delivery, three attempts (two answered 500), each with the same id and body, each signed.
    expect(new Set(completed.map((g) => g.delivery)).size).toBe(1);
    expect(new Set(completed.map((g) => g.body)).size).toBe(1);
    const body = JSON.parse(completed[0]!.body);
    expect(body).toMatchObject({ id: completed[0]!.delivery, type: 'job.completed', job: { id: job, state: 'completed', result: { data: 'hooked' } } });
    for (const g of completed) {
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(g.signature)!;
      expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${g.body}`).digest('hex'));
      expect(Math.abs(Date.now() / 1000 - Number(t))).toBeLessThan(60);
    }
    const listed = (await gw.admin('GET', '/v1/admin/webhooks/deliveries?space=hooked')).body.deliveries;
    expect(listed.map((d: { event: string; state: string; attempts: number; last_status: number }) => [d.event, d.state, d.attempts, d.last_status]).sort()).toEqual([
      ['job.completed', 'delivered', 3, 204],
      ['job.started', 'delivered', 3, 204],
    ]);
    // A new secret signs what comes next.
    const rotated = (await gw.admin('POST', '/v1/admin/spaces/hooked/webhook-secret')).body.webhook_secret;
    expect(rotated).not.toBe(secret);
    await hook.close();
  });

  it('sends a job’s own webhook its events, signed with its space’s secret, besides the space’s', async () => {
    const own = await receiver();
    const created = await gw.admin('POST', '/v1/admin/spaces', { name: 'own-hooks', inputs: ['prompt'] });
    const secret = created.body.webhook_secret as string;
    const worker = serve({ host: gw.url, spaces: ['own-hooks'], token: ADMIN_TOKEN }, async () => 'mine');
    await worker.ready;
    const accepted = await gw.admin('POST', '/v1/jobs', { space: 'own-hooks', prompt: 'p', webhook: { url: own.url, events: ['completed'] } });
    expect(accepted.status).toBe(202);
    await until('delivered', () => own.got.length === 1 || undefined, 10_000);
    const [got] = own.got;
    expect(JSON.parse(got!.body)).toMatchObject({ type: 'job.completed', job: { id: accepted.body.job, result: { data: 'mine' } } });
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(got!.signature)!;
    expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${got!.body}`).digest('hex'));
    // Over the WebSocket too; and a destination not allowed is refused before any job is made.
    const client = await strict.client(ADMIN_TOKEN);
    await strict.createSpace({ name: 'own-refused', inputs: ['prompt'] });
    client.send({ type: 'submit', id: 'hooked', space: 'own-refused', prompt: 'p', webhook: { url: own.url } });
    expect(await client.wait('refusal', (m) => m.type === 'error' && m.id === 'hooked')).toMatchObject({ code: 'webhook_not_allowed' });
    expect((await strict.admin('GET', '/v1/admin/jobs?limit=50')).body.jobs.filter((j: { space: string }) => j.space === 'own-refused')).toEqual([]);
    worker.close();
    client.close();
    await own.close();
  });

  it('leaves a large result’s data out of the delivery (kept and sent on every attempt), saying so', async () => {
    const own = await receiver();
    await gw.admin('POST', '/v1/admin/spaces', { name: 'big-results', inputs: ['prompt'] });
    const worker = serve({ host: gw.url, spaces: ['big-results'], token: ADMIN_TOKEN }, async () => 'x'.repeat(200_000));
    await worker.ready;
    const accepted = await gw.admin('POST', '/v1/jobs', { space: 'big-results', prompt: 'p', webhook: { url: own.url } });
    await until('delivered', () => own.got.length === 1 || undefined, 10_000);
    expect(own.got[0]!.body.length).toBeLessThan(64 * 1024);
    expect(JSON.parse(own.got[0]!.body).job).toMatchObject({ id: accepted.body.job, state: 'completed', result: { data: null, data_omitted: true } });
    worker.close();
    await own.close();
  });

  it('sends progress at most every few seconds per job (the first report at once), with what the worker said', async () => {
    const own = await receiver();
    await gw.admin('POST', '/v1/admin/spaces', { name: 'progressing', inputs: ['prompt'] });
    const worker = serve({ host: gw.url, spaces: ['progressing'], token: ADMIN_TOKEN }, async (_job, ctx) => {
      for (const [p, what] of [
        [0.25, 'loading'],
        [0.5, 'thinking'],
        [0.75, 'writing'],
      ] as const)
        ctx.progress(p, what);
      return 'done';
    });
    await worker.ready;
    await gw.admin('POST', '/v1/jobs', { space: 'progressing', prompt: 'p', webhook: { url: own.url, events: ['progress', 'completed'] } });
    await until('completed delivered', () => own.got.some((g) => g.event === 'job.completed') || undefined, 10_000);
    await new Promise((r) => setTimeout(r, 300)); // time for any further progress delivery, were there one
    const progress = own.got.filter((g) => g.event === 'job.progress');
    expect(progress).toHaveLength(1);
    expect(JSON.parse(progress[0]!.body)).toMatchObject({ type: 'job.progress', progress: { progress: 0.25, message: 'loading' } });
    worker.close();
    await own.close();
  });

  it('refuses webhook URLs that are not http(s), carry credentials, or reach a private address not allowed', async () => {
    const hook = await receiver();
    for (const url of [hook.url, 'http://localhost:9/hook', 'http://10.1.2.3/hook', 'http://[::1]:9/hook', 'ftp://example.com/hook', 'http://user:pw@example.com/hook', 'not a url']) {
      const refused = await strict.admin('POST', '/v1/admin/spaces', { name: `open-${Math.random().toString(36).slice(2, 8)}`, inputs: ['prompt'], webhook_url: url });
      expect([url, refused.status, refused.body.error?.code]).toEqual([url, 400, 'webhook_not_allowed']);
    }
    await strict.createSpace({ name: 'later-hooked', inputs: ['prompt'] });
    expect((await strict.admin('PATCH', '/v1/admin/spaces/later-hooked', { webhook_url: hook.url })).body.error).toMatchObject({ code: 'webhook_not_allowed' });
    await runJob(strict, 'later-hooked');
    expect(hook.got).toEqual([]);
    await hook.close();
  });

  it('delivers each event once when several instances send, through Redis', async () => {
    const hook = await receiver();
    const [a, b] = await twoInstances(redis, 'hooks', { webhookAllow: ['127.0.0.1'], core: FAST_HOOKS });
    await a!.createSpace({ name: 'shared-hook', inputs: ['prompt'], webhook_url: hook.url });
    const jobs = [await runJob(a!, 'shared-hook'), await runJob(b!, 'shared-hook')];
    await until('both ends delivered', () => hook.got.length >= 2 || undefined, 10_000);
    await new Promise((r) => setTimeout(r, 500)); // time for a second copy, were there one
    expect(hook.got.map((g) => JSON.parse(g.body).job.id).sort()).toEqual([...jobs].sort());
    await Promise.all([a!.stop(), b!.stop()]);
    await hook.close();
  });
});
