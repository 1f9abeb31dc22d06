import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';

/** Job history pages (GET /v1/me/jobs, GET /v1/admin/jobs): correct at any number of jobs. */
let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway({ budgets: { jobsPerSpace: 100_000 } });
  await gw.createSpace({ name: 'busy', inputs: ['prompt'], max_queue: 100_000 });
  await gw.createSpace({ name: 'quiet', inputs: ['prompt'] });
});
afterAll(() => gw.stop());

/** Every page of a listing, following `next`. */
async function allPages(path: string, token: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  for (let next: string | null = null; ; ) {
    const res = await gw.http('GET', `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${next ? `&before=${next}` : ''}`, undefined, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    ids.push(...res.body.jobs.map((j: { id: string }) => j.id));
    next = res.body.next;
    if (!next) return ids;
  }
}

describe('job history', () => {
  it('pages each of 20 callers through their own jobs among 10,000, newest first, each once', async () => {
    const keys = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await gw.admin('POST', '/v1/admin/api-keys', { name: `caller ${i}` })).body.key as string));
    // A worker that finishes every job at once keeps the queues short while they arrive.
    const worker = await gw.worker(['busy', 'quiet'], 64);
    worker.ws.on('message', (data, isBinary) => {
      const m = isBinary ? null : JSON.parse(String(data));
      if (m?.type === 'job') worker.send({ type: 'result', job: m.job, data: {} });
    });
    const mine = new Map<string, string[]>();
    await Promise.all(
      keys.map(async (key) => {
        const client = await gw.client(key);
        for (let i = 0; i < 500; i++) client.send({ type: 'submit', id: i, space: i % 50 === 0 ? 'quiet' : 'busy', prompt: `p${i}` });
        await until('all 500 accepted', () => client.of('accepted').length === 500 || undefined, 60_000);
        // In the order the gateway took them: a connection's messages are handled in order.
        mine.set(
          key,
          client.of('accepted').map((m) => m.job as string),
        );
        client.close();
      }),
    );
    for (const key of keys.slice(0, 5)) {
      // Newest first by id, which is time-ordered to the millisecond (jobs of one millisecond in
      // the order of their ids' random part, not necessarily the order they were taken).
      const submitted = mine.get(key)!;
      const expected = [...submitted].sort().reverse();
      expect(await allPages('/v1/me/jobs', key, 77)).toEqual(expected);
      const quietIds = new Set(submitted.filter((_, i) => i % 50 === 0));
      expect(await allPages('/v1/me/jobs?space=quiet', key, 3)).toEqual(expected.filter((id) => quietIds.has(id)));
    }
    const everyone = await allPages('/v1/admin/jobs?space=busy', 'test-admin-token', 1000);
    expect(everyone).toHaveLength(20 * 490);
    expect(new Set(everyone).size).toBe(everyone.length);
    expect([...everyone].sort().reverse()).toEqual(everyone);
    worker.close();
  }, 120_000);

  it('refuses an unknown state and says where the last page is', async () => {
    const key = (await gw.admin('POST', '/v1/admin/api-keys', { name: 'few' })).body.key as string;
    const auth = { authorization: `Bearer ${key}` };
    expect((await gw.http('GET', '/v1/me/jobs?state=lost', undefined, auth)).body.error.code).toBe('invalid_message');
    await gw.http('POST', '/v1/jobs', { space: 'quiet', prompt: 'only one' }, auth);
    expect((await gw.http('GET', '/v1/me/jobs?limit=5', undefined, auth)).body).toMatchObject({ jobs: [expect.objectContaining({ prompt: 'only one' })], next: null });
  });
});
