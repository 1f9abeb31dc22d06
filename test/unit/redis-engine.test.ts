import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisEngine } from '../../src/engine/redis/redis-engine.ts';
import { runEngineContract } from '../contract/engine-contract.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

// Each engine gets its own key prefix; a reopen is another instance on the same keys.
runEngineContract('redis', async () => {
  const prefix = `t${Math.random().toString(36).slice(2)}:`;
  const make = () => createRedisEngine({ url: redis.url, prefix });
  return { engine: await make(), reopen: make, leasesSurviveReopen: true };
});

describe('redis engine start-up', () => {
  it('warns when Redis may evict keys (queued jobs could silently vanish)', async () => {
    const admin = new Redis(redis.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const warnings: string[] = [];
    const engine = await createRedisEngine({ url: redis.url, prefix: 'warn:', warn: (m) => warnings.push(m) });
    await engine.close();
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    const quiet: string[] = [];
    await (await createRedisEngine({ url: redis.url, prefix: 'warn:', warn: (m) => quiet.push(m) })).close();
    admin.disconnect();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('allkeys-lru');
    expect(quiet).toEqual([]);
  });
});
