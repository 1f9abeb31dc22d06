import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryableError, serve } from '../../src/sdk/node.ts';
import { ADMIN_TOKEN, testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';

/** A worker error that says trying again may help: the space's backoff and attempts (docs/queue.md). */
let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
  await gw.createSpace({ name: 'flaky', inputs: ['prompt'], max_attempts: 3, retry_delay_ms: 200, retry_max_delay_ms: 250 });
});
afterAll(() => gw.stop());

describe('retries and jobs for later', () => {
  it('retry after a growing, capped, jittered delay with a retry_scheduled event each, then succeed; past max_attempts the job fails, and an admin can retry it', async () => {
    const tries = new Map<string, number>();
    const worker = serve({ host: gw.url, spaces: ['flaky'], token: ADMIN_TOKEN }, async (job, ctx) => {
      const n = (tries.get(job.prompt!) ?? 0) + 1;
      tries.set(job.prompt!, n);
      ctx.token(`try ${n} `);
      if (job.prompt === 'never' || n < 3) throw new RetryableError(`busy (${n})`);
      return 'done';
    });
    await worker.ready;
    const client = await gw.client(ADMIN_TOKEN);
    client.send({ type: 'submit', id: 'a', space: 'flaky', prompt: 'third time' });
    const { job } = await client.wait('accepted', (m) => m.type === 'accepted' && m.id === 'a');
    const result = await client.wait('result', (m) => m.type === 'result' && m.job === job, 15_000);
    expect(result.data).toBe('done');
    const events = client.messages.filter((m) => m.job === job);
    const retries = events.filter((m) => m.type === 'retry_scheduled');
    expect(retries.map((r) => [r.attempt, r.message])).toEqual([
      [1, 'busy (1)'],
      [2, 'busy (2)'],
    ]);
    // Base 200 ms doubled per attempt, capped at 250; half of each delay fixed, half random.
    expect(retries[0]!.delay_ms).toBeGreaterThanOrEqual(100);
    expect(retries[0]!.delay_ms).toBeLessThanOrEqual(200);
    expect(retries[1]!.delay_ms).toBeGreaterThanOrEqual(125);
    expect(retries[1]!.delay_ms).toBeLessThanOrEqual(250);
    // Each retry begins a new epoch; the job ran three times, the last attempt's tokens are the answer's.
    expect(retries.every((r) => typeof r.epoch === 'number')).toBe(true);
    expect(events.filter((m) => m.type === 'started')).toHaveLength(3);
    expect((await gw.admin('GET', `/v1/jobs/${job}`)).body).toMatchObject({ state: 'completed', attempt: 3 });

    client.send({ type: 'submit', id: 'b', space: 'flaky', prompt: 'never' });
    const doomed = (await client.wait('accepted', (m) => m.type === 'accepted' && m.id === 'b')).job;
    const failed = await client.wait('failed', (m) => m.type === 'failed' && m.job === doomed, 15_000);
    expect(failed).toMatchObject({ code: 'worker_error', message: 'busy (3) (attempt 3 of 3; no retries left)' });
    expect(client.messages.filter((m) => m.job === doomed && m.type === 'retry_scheduled')).toHaveLength(2);
    // A dead letter: listed as failed, and retried as a new job by an admin.
    expect((await gw.admin('GET', '/v1/admin/jobs?state=failed')).body.jobs.map((j: { id: string }) => j.id)).toContain(doomed);
    const again = await gw.admin('POST', `/v1/jobs/${doomed}/retry`);
    expect(again).toMatchObject({ status: 202, body: { retry_of: doomed } });
    await until('the retry ran', () => (tries.get('never') ?? 0) >= 4 || undefined, 15_000);
    worker.close();
    client.close();
  }, 30_000);

  it('hold a job submitted for later until its time (not_before), then run it; more than a day ahead is refused', async () => {
    const runs: number[] = [];
    const worker = serve({ host: gw.url, spaces: ['flaky'], token: ADMIN_TOKEN }, async (job) => {
      if (job.prompt === 'later') runs.push(Date.now());
      return 'ran';
    });
    await worker.ready;
    const client = await gw.client(ADMIN_TOKEN);
    const at = new Date(Date.now() + 700);
    client.send({ type: 'submit', id: 'later', space: 'flaky', prompt: 'later', not_before: at.toISOString() });
    const { job } = await client.wait('accepted', (m) => m.type === 'accepted' && m.id === 'later');
    expect(client.messages.find((m) => m.job === job && m.type === 'queued')).toMatchObject({ not_before: at.toISOString() });
    expect((await client.wait('result', (m) => m.type === 'result' && m.job === job, 10_000)).data).toBe('ran');
    expect(runs[0]).toBeGreaterThanOrEqual(at.getTime());
    const tooFar = new Date(Date.now() + 25 * 3600_000).toISOString();
    expect(await gw.admin('POST', '/v1/jobs', { space: 'flaky', prompt: 'x', not_before: tooFar })).toMatchObject({ status: 400, body: { error: { code: 'invalid_message' } } });
    expect(await gw.admin('POST', '/v1/jobs', { space: 'flaky', prompt: 'x', not_before: 'tomorrow' })).toMatchObject({ status: 400 });
    worker.close();
    client.close();
  });
});
