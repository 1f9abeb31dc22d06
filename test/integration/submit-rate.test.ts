import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type TestGateway, twoInstances } from '../helpers/gateway.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

/** Submits per minute per caller (SPACEPORT_BUDGET_SUBMITS_PER_MINUTE), counted across instances. */
let redis: TestRedis;
let a: TestGateway;
let b: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  [a, b] = await twoInstances(redis, 'rate', { budgets: { submitsPerMinute: 5 } });
  await a.createSpace({ name: 'metered', inputs: ['prompt'] });
});
afterAll(async () => {
  await Promise.all([a.stop(), b.stop()]);
  await redis.stop();
});

const submitAs = (gw: TestGateway, token: string) => gw.http('POST', '/v1/jobs', { space: 'metered', prompt: 'p' }, { authorization: `Bearer ${token}` });

describe('submits per minute', () => {
  it('counts one caller’s submits on every instance: past the budget, 429 rate_limited with Retry-After', async () => {
    const key = (await a.admin('POST', '/v1/admin/api-keys', { name: 'metered' })).body.key as string;
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await submitAs(i % 2 ? b : a, key)).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202]);
    const refused = await fetch(`${b.url}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: JSON.stringify({ space: 'metered', prompt: 'p' }) });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await refused.json()).error).toMatchObject({ code: 'rate_limited', retry_after_ms: expect.any(Number) });

    // Over the WebSocket too, and the connection stays up.
    const client = await a.client(key);
    client.send({ type: 'submit', id: 'over', space: 'metered', prompt: 'p' });
    expect(await client.wait('the refusal', (m) => m.type === 'error' && m.id === 'over')).toMatchObject({ code: 'rate_limited', retry_after_ms: expect.any(Number) });
    client.send({ type: 'ping', id: 'still' });
    await client.wait('pong', (m) => m.type === 'pong');
    client.close();
  });

  it('leaves other callers and the admin their own budgets', async () => {
    const other = (await a.admin('POST', '/v1/admin/api-keys', { name: 'other' })).body.key as string;
    expect((await submitAs(a, other)).status).toBe(202);
    for (let i = 0; i < 7; i++) expect((await submitAs(b, ADMIN_TOKEN)).status).toBe(202);
  });
});
