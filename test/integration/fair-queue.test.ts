import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testGateway, type TestGateway, twoInstances } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import type { WsPeer } from '../helpers/ws-peer.ts';

/**
 * Fair share and priorities through the gateway (docs/queue.md), on the embedded engine and on two
 * instances sharing Redis (Alice on one, Bob on the other): the order workers get jobs in, and the
 * positions clients are told.
 */
let redis: TestRedis;
let embedded: TestGateway;
let viaRedis: [TestGateway, TestGateway];

beforeAll(async () => {
  redis = await startRedis();
  embedded = await testGateway();
  viaRedis = await twoInstances(redis, 'fair');
});
afterAll(async () => {
  await Promise.all([embedded.stop(), ...viaRedis.map((g) => g.stop())]);
  await redis.stop();
});

const newKey = async (gw: TestGateway, body: Record<string, unknown> = {}) => (await gw.admin('POST', '/v1/admin/api-keys', { name: 'caller', ...body })).body;

/** Submits `n` jobs one after another; their ids and the positions their acceptances gave. */
async function submitMany(client: WsPeer, space: string, n: number, extra: Record<string, unknown> = {}): Promise<Array<{ job: string; position: number }>> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const id = `${space}-${Math.random()}`;
    client.send({ type: 'submit', id, space, prompt: `p${i}`, ...extra });
    const accepted = await client.wait('accepted', (m) => m.type === 'accepted' && m.id === id);
    out.push({ job: accepted.job as string, position: accepted.position as number });
  }
  return out;
}

/** The jobs a one-slot worker is given, in order, each finished at once. */
async function takeInOrder(worker: WsPeer, n: number): Promise<string[]> {
  const order: string[] = [];
  for (let i = 0; i < n; i++) {
    const given = await worker.next('job', (m) => m.type === 'job' && !order.includes(m.job));
    order.push(given.job);
    worker.send({ type: 'result', job: given.job, data: 'done' });
  }
  return order;
}

describe.each([
  ['the embedded engine', () => [embedded, embedded] as const],
  ['two instances via Redis', () => viaRedis],
])('on %s', (_name, gateways) => {
  it('Alice submits 10, then Bob 1: his is next after her first, her later ones are told they moved back, and a worker takes them in that order', async () => {
    const [first, second] = gateways();
    const space = `shared-${Math.random().toString(36).slice(2, 8)}`;
    await first.createSpace({ name: space, inputs: ['prompt'] });
    const alice = await first.client((await newKey(first)).key);
    const bob = await second.client((await newKey(first)).key);
    const hers = await submitMany(alice, space, 10);
    expect(hers.map((j) => j.position)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const [his] = await submitMany(bob, space, 1);
    expect(his!.position).toBe(1);
    // Each of her later jobs is told its new position, one further back; her first keeps its place.
    const lastPosition = (job: string) => alice.messages.filter((m) => (m.type === 'queued' || m.type === 'position') && m.job === job).at(-1)?.position;
    await until('her positions pushed', () => hers.slice(1).every((j, i) => lastPosition(j.job) === i + 2) || undefined);
    expect(lastPosition(hers[0]!.job)).toBe(0);
    const worker = await first.worker([space], 1);
    expect(await takeInOrder(worker, 4)).toEqual([hers[0]!.job, his!.job, hers[1]!.job, hers[2]!.job]);
    for (const c of [alice, bob, worker]) c.close();
  });

  it('an API key an admin weighted 2 gets two jobs a round', async () => {
    const [first, second] = gateways();
    const space = `weighted-${Math.random().toString(36).slice(2, 8)}`;
    await first.createSpace({ name: space, inputs: ['prompt'] });
    const heavyKey = await newKey(first, { fair_weight: 3 });
    expect(heavyKey.fair_weight).toBe(3);
    expect((await first.admin('PATCH', `/v1/admin/api-keys/${heavyKey.id}`, { fair_weight: 2 })).body).toMatchObject({ fair_weight: 2 });
    const heavy = await first.client(heavyKey.key);
    const light = await second.client((await newKey(first)).key);
    const hers = await submitMany(heavy, space, 4);
    const his = await submitMany(light, space, 2);
    expect(his.map((j) => j.position)).toEqual([2, 5]);
    const worker = await first.worker([space], 1);
    expect(await takeInOrder(worker, 6)).toEqual([hers[0], hers[1], his[0], hers[2], hers[3], his[1]].map((j) => j!.job));
    for (const c of [heavy, light, worker]) c.close();
  });

  it('a fifo space serves in arrival order, whoever submitted', async () => {
    const [first, second] = gateways();
    const space = `fifo-${Math.random().toString(36).slice(2, 8)}`;
    await first.createSpace({ name: space, inputs: ['prompt'], queue_policy: 'fifo' });
    expect((await first.admin('GET', `/v1/admin/spaces/${space}`)).body).toMatchObject({ queue_policy: 'fifo' });
    const alice = await first.client((await newKey(first)).key);
    const bob = await second.client((await newKey(first)).key);
    const hers = await submitMany(alice, space, 3);
    const [his] = await submitMany(bob, space, 1);
    expect(his!.position).toBe(3);
    const worker = await first.worker([space], 1);
    expect(await takeInOrder(worker, 4)).toEqual([...hers.map((j) => j.job), his!.job]);
    for (const c of [alice, bob, worker]) c.close();
  });
});

describe('priorities', () => {
  it('go first, only as high as the caller may ask: 0 unless an admin gave the key more, and the admin up to 1000', async () => {
    const space = `prio-${Math.random().toString(36).slice(2, 8)}`;
    await embedded.createSpace({ name: space, inputs: ['prompt'] });
    const plain = await embedded.client((await newKey(embedded)).key);
    await submitMany(plain, space, 3);
    // Asking for more than it may: refused with forbidden, and the connection stays up.
    plain.send({ type: 'submit', id: 'too-high', space, prompt: 'x', priority: 1 });
    expect(await plain.wait('refusal', (m) => m.type === 'error' && m.id === 'too-high')).toMatchObject({ code: 'forbidden' });
    const [lower] = await submitMany(plain, space, 1, { priority: -3 });
    expect(lower!.position).toBe(3);

    const bounded = await newKey(embedded, { max_priority: 3 });
    expect(bounded.max_priority).toBe(3);
    const submit = (priority: number) => embedded.http('POST', '/v1/jobs', { space, prompt: 'urgent', priority }, { authorization: `Bearer ${bounded.key}` });
    expect(await submit(3)).toMatchObject({ status: 202, body: { position: 0 } });
    expect(await submit(4)).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((await embedded.admin('PATCH', `/v1/admin/api-keys/${bounded.id}`, { max_priority: 5 })).body).toMatchObject({ max_priority: 5 });
    expect(await submit(4)).toMatchObject({ status: 202, body: { position: 0 } });
    expect(await submit(2)).toMatchObject({ status: 202, body: { position: 2 } });
    expect((await embedded.http('POST', '/v1/jobs', { space, prompt: 'x', priority: 1001 }, { authorization: `Bearer ${bounded.key}` })).status).toBe(400);

    const admin = await embedded.client(ADMIN_TOKEN);
    const [top] = await submitMany(admin, space, 1, { priority: 1000 });
    expect(top!.position).toBe(0);
    const worker = await embedded.worker([space], 1);
    const order = await takeInOrder(worker, 2);
    expect(order[0]).toBe(top!.job);
    for (const c of [plain, admin, worker]) c.close();
  });
});
