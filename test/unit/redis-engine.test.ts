import { afterAll, beforeAll } from 'vitest';
import { createRedisEngine } from '../../src/engine/redis/redis-engine.ts';
import { runEngineContract } from '../engine-contract.ts';
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
