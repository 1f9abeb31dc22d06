import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway, twoInstances } from '../helpers/gateway.ts';
import { until } from '../helpers/latch.ts';
import { startRedis } from '../helpers/redis.ts';

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

describe('across instances (Redis)', () => {
  it('every instance charts the jobs that ended on any of them, with their times merged', async () => {
    const redis = await startRedis();
    const [a, b] = await twoInstances(redis, 'activity', { activityIntervalMs: 150 });
    try {
      await a!.createSpace({ name: 'shared', inputs: ['prompt'] });
      // A worker on each instance; each job ends on the instance its worker is on.
      const workers = await Promise.all([a!, b!].map((gw) => gw.worker(['shared'], 2)));
      const client = await a!.client();
      for (let i = 0; i < 6; i++) client.send({ type: 'submit', space: 'shared', prompt: `p${i}` });
      const ran: number[] = [];
      await Promise.all(
        workers.map(async (worker, w) => {
          for (;;) {
            const job = await worker.next('job', (m) => m.type === 'job', 3000).catch(() => null);
            if (!job) return;
            ran.push(w);
            worker.send({ type: 'started', job: job.job });
            // Each job runs 120 ms; told as at least 80 (a loaded machine may take the `started` late).
            setTimeout(() => worker.send({ type: 'result', job: job.job, data: {} }), 120);
          }
        }),
      );
      expect(new Set(ran).size).toBe(2);
      const ended = async (gw: TestGateway) =>
        ((await gw.http('GET', '/v1/spaces/shared/activity')).body.samples as Array<Record<string, number | null>>).reduce((n, s) => n + (s.completed as number), 0);
      await until('both instances to count all six', async () => ((await ended(a!)) === 6 && (await ended(b!)) === 6) || undefined);
      const runs = ((await b!.http('GET', '/v1/spaces/shared/activity')).body.samples as Array<Record<string, number | null>>).filter((s) => (s.completed as number) > 0);
      for (const s of runs) expect(s.run_p50).toBeGreaterThanOrEqual(80);
      client.close();
      for (const w of workers) w.close();
    } finally {
      await Promise.all([a!.stop(), b!.stop()]);
      await redis.stop();
    }
  });
});
