import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const dir = mkdtempSync(join(tmpdir(), 'spaceport-redis-aof-'));
let redis: TestRedis;
let gw: TestGateway;

beforeAll(async () => {
  redis = await startRedis(dir);
  gw = await testGateway({ redis: { url: redis.url, prefix: 'outage:', commandTimeoutMs: 500 } });
  await gw.createSpace({ name: 'steady', inputs: ['prompt'] });
});
afterAll(async () => {
  redis.thaw();
  await gw.stop();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Waits until an HTTP submit is accepted again (202): the engine answers once more. */
function submitsAgain(when: string, ms: number): Promise<true> {
  return until(
    `submits to work ${when}`,
    async () => (await gw.http('POST', '/v1/jobs', { space: 'steady', prompt: when }, { authorization: `Bearer ${ADMIN_TOKEN}` })).status === 202 || undefined,
    ms,
  );
}

describe('Redis unavailable for a while', () => {
  it('refuses submits with `unavailable` while down, keeps sockets up, and serves again once Redis is back', async () => {
    const worker = await gw.worker(['steady']);
    const client = await gw.client(ADMIN_TOKEN);
    client.send({ type: 'submit', id: 'before', space: 'steady', prompt: 'queued before the outage' });
    const before = await client.wait('accepted before', (m) => m.type === 'accepted' && m.id === 'before');
    const job1 = await worker.wait('job', (m) => m.type === 'job');
    expect(job1.job).toBe(before.job);

    await redis.kill();
    client.send({ type: 'submit', id: 'during', space: 'steady', prompt: 'during' });
    const refused = await client.wait('refusal', (m) => m.type === 'error' && m.id === 'during', 5000);
    expect(refused.code).toBe('unavailable');
    client.send({ type: 'ping', id: 'alive' });
    await client.wait('pong', (m) => m.type === 'pong' && m.id === 'alive');
    expect(client.closed).toBeNull();
    expect(worker.closed).toBeNull();
    expect((await gw.http('POST', '/v1/jobs', { space: 'steady', prompt: 'http' }, { authorization: `Bearer ${ADMIN_TOKEN}` })).body.error.code).toBe('unavailable');

    await redis.restart();
    // The job accepted before the outage is still there (append-only file) and still the worker's.
    await submitsAgain('after the restart', 15_000);
    worker.send({ type: 'heartbeat' });
    worker.send({ type: 'result', job: job1.job, data: 'survived' });
    const result = await client.wait('result of the earlier job', (m) => m.type === 'result' && m.job === before.job, 10_000);
    expect(result.data).toBe('survived');
    client.close();
    worker.close();
  }, 40_000);

  it('answers `unavailable` within the command timeout when Redis hangs instead of dying', async () => {
    const client = await gw.client(ADMIN_TOKEN);
    redis.freeze();
    const started = Date.now();
    client.send({ type: 'submit', id: 'hung', space: 'steady', prompt: 'x' });
    const refused = await client.wait('refusal', (m) => m.type === 'error' && m.id === 'hung', 5000);
    expect(refused.code).toBe('unavailable');
    expect(Date.now() - started).toBeLessThan(4000); // bounded by the 500 ms timeout, not hanging
    redis.thaw();
    await submitsAgain('after the thaw', 10_000);
    client.close();
  }, 20_000);
});

describe('a worker stream through Redis', () => {
  it('keeps 2,000 tokens sent back to back in order, numbered without a gap (appends are pipelined)', async () => {
    redis.thaw();
    await until('Redis to answer', async () => (await gw.admin('POST', '/v1/admin/spaces', { name: 'burst', inputs: ['prompt'] })).status === 201 || undefined, 10_000);
    const worker = await gw.worker(['burst']);
    const client = await gw.client(ADMIN_TOKEN);
    client.send({ type: 'submit', space: 'burst', prompt: 'burst' });
    const { job } = await client.wait('accepted', (m) => m.type === 'accepted');
    await worker.wait('job', (m) => m.type === 'job' && m.job === job, 10_000);
    worker.send({ type: 'started', job });
    for (let i = 0; i < 2000; i++) worker.send({ type: 'token', job, text: `${i},` });
    worker.send({ type: 'result', job, data: 'done' });
    await client.wait('result', (m) => m.type === 'result' && m.job === job, 30_000);
    const events = client.messages.filter((m) => m.job === job && m.seq);
    expect(events.map((m) => m.seq)).toEqual(events.map((_, i) => i + 1));
    expect(
      client
        .of('token', job)
        .map((m) => m.text)
        .join(''),
    ).toBe(Array.from({ length: 2000 }, (_, i) => `${i},`).join(''));
    client.close();
    worker.close();
  }, 40_000);
});
