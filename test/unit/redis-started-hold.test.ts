import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisEngine } from '../../src/engine/redis/redis-engine.ts';
import type { JobEvent } from '../../src/protocol/job-events.ts';
import { job, queued, ref, space } from '../contract/harness.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let admin: Redis;
beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
});
afterAll(async () => {
  admin.disconnect();
  await redis.stop();
});

/** How many scripts Redis has run so far (every state change is one). */
async function scriptCalls(): Promise<number> {
  const stats = (await admin.info('commandstats')) as string;
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0) + Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

/** An engine with one space, job `a` held by worker `w` and job `b` queued behind it. */
async function heldPair(startedHoldMs: number) {
  const engine = await createRedisEngine({ url: redis.url, prefix: `h${Math.random().toString(36).slice(2)}:`, startedHoldMs });
  const s = space('started-hold', { max_queue: 10 });
  await engine.createSpace(s);
  const [a, b] = [job(s), job(s)];
  for (const j of [a, b]) await engine.submitJob(j, 10, queued);
  await engine.claimJob([s.id], 'w', 60_000);
  return { engine, s, a, b, holder: { workerId: 'w', attempt: 1 } };
}

const started: JobEvent = { type: 'started', attempt: 1, worker: 'w' };
const result: JobEvent = { type: 'result', data: 'ok', files: [] };
const types = async (engine: Awaited<ReturnType<typeof createRedisEngine>>, id: string) => (await engine.readEvents(id, 0))!.lines.map((l) => JSON.parse(l).type);

describe('redis engine: a worker’s lone `started` waits for its job’s next event', () => {
  it('leaves with a result that comes in a later turn, in one script call (two without the hold)', async () => {
    for (const [holdMs, calls] of [
      [60_000, 1],
      [0, 2],
    ] as const) {
      const { engine, s, a, b, holder } = await heldPair(holdMs);
      const before = await scriptCalls();
      const appended = engine.appendEvent(ref(a), started, holder);
      // The worker's result arrives in a read of its own, a few turns later (well within the hold).
      await new Promise((r) => setTimeout(r, 20));
      const out = await engine.finishAndClaim!(ref(a), result, holder, { data: 'ok', files: [] }, { spaceIds: [s.id], leaseMs: 60_000 });
      expect(await appended).toBe(true);
      expect(out).toMatchObject({ kept: true, next: { id: b.id } });
      expect(await scriptCalls()).toBe(before + calls);
      expect(await types(engine, a.id)).toEqual(['queued', 'started', 'result']);
      expect(await engine.getJob(a.id)).toMatchObject({ state: 'completed', started_at: expect.any(Number) });
      await engine.close();
    }
  });

  it('goes with its own job’s result when other jobs’ events were gathered after it', async () => {
    const { engine, s, a, b, holder } = await heldPair(60_000);
    await engine.claimJob([s.id], 'w2', 60_000); // b, held by a second worker
    const before = await scriptCalls();
    const appended = [engine.appendEvent(ref(a), started, holder), engine.appendEvent(ref(b), { ...started, worker: 'w2' }, { workerId: 'w2', attempt: 1 })];
    await new Promise((r) => setTimeout(r, 20));
    await engine.finishAndClaim!(ref(a), result, holder, { data: 'ok', files: [] }, { spaceIds: [s.id], leaseMs: 60_000 });
    expect(await Promise.all(appended)).toEqual([true, true]);
    // b's `started` alone, then a's with its result: two calls, not three.
    expect(await scriptCalls()).toBe(before + 2);
    expect(await types(engine, a.id)).toEqual(['queued', 'started', 'result']);
    expect(await types(engine, b.id)).toEqual(['queued', 'started']);
    await engine.close();
  });

  it('is appended alone once the hold is over when nothing follows, and at once when anything else is sent', async () => {
    const { engine, a, holder } = await heldPair(2000);
    const since = performance.now();
    const appended = engine.appendEvent(ref(a), started, holder);
    await new Promise((r) => setTimeout(r, 30));
    expect(await types(engine, a.id)).toEqual(['queued']);
    expect(await appended).toBe(true);
    expect(performance.now() - since).toBeGreaterThanOrEqual(1900); // timers count from the loop's cached time: a little slack
    expect(await types(engine, a.id)).toEqual(['queued', 'started']);
    expect(await engine.getJob(a.id)).toMatchObject({ state: 'running' });
    // A token after it ends the wait: both leave at the end of the turn.
    const { engine: other, a: c, holder: h } = await heldPair(60_000);
    const both = [other.appendEvent(ref(c), started, h), other.appendEvent(ref(c), { type: 'token', text: 'x' }, h)];
    expect(await Promise.all(both)).toEqual([true, true]);
    expect(await types(other, c.id)).toEqual(['queued', 'started', 'token']);
    await Promise.all([engine.close(), other.close()]);
  });
});
