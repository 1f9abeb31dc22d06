import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';

/** The admin's charts read each space's activity, sampled every interval (here 150 ms). */
let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway({ activityIntervalMs: 150 });
  await gw.createSpace({ name: 'busy', inputs: ['prompt'] });
});
afterAll(() => gw.stop());

const samples = async () => (await gw.http('GET', '/v1/spaces/busy/activity')).body.samples as Array<Record<string, number | null>>;

describe('GET /v1/spaces/{name}/activity', () => {
  it('samples the queue, the slots in use, and the jobs that ended with their wait and run times', async () => {
    const client = await gw.client();
    for (const prompt of ['a', 'b', 'c']) client.send({ type: 'submit', space: 'busy', prompt });
    // No worker yet: the queue shows the three.
    await until('a sample with three queued', async () => (await samples()).some((s) => s.queued === 3) || undefined);
    const worker = await gw.worker(['busy']);
    for (let i = 0; i < 3; i++) {
      const job = await worker.next('job', (m) => m.type === 'job');
      worker.send({ type: 'started', job: job.job });
      await new Promise((r) => setTimeout(r, 30));
      if (i < 2) worker.send({ type: 'result', job: job.job, data: { ok: true } });
      else worker.send({ type: 'error', job: job.job, message: 'no' });
    }
    const all = await until('the three ended', async () => {
      const list = await samples();
      const ended = list.reduce((n, s) => n + (s.completed as number) + (s.failed as number), 0);
      return ended === 3 ? list : undefined;
    });
    expect(all.reduce((n, s) => n + (s.completed as number), 0)).toBe(2);
    expect(all.reduce((n, s) => n + (s.failed as number), 0)).toBe(1);
    const busy = all.filter((s) => (s.completed as number) + (s.failed as number) > 0);
    for (const s of busy) {
      expect(s.wait_p50).toBeGreaterThan(0);
      expect(s.run_p50).toBeGreaterThanOrEqual(25);
      expect(s.wait_p95!).toBeGreaterThanOrEqual(s.wait_p50!);
    }
    // Samples come in time order, one per interval, with the queue empty again at the end.
    expect(all.map((s) => s.t)).toEqual([...all.map((s) => s.t)].sort((a, b) => a! - b!));
    await until('an empty queue', async () => (await samples()).at(-1)?.queued === 0 || undefined);
    expect((await gw.http('GET', '/v1/spaces/nope/activity')).status).toBe(404);
    client.close();
    worker.close();
  });
});
