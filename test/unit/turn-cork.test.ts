import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { corkPerTurn } from '../../src/engine/redis/turn-cork.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

/** How many reads Redis has made from its clients' sockets (a write of ours arrives as one). */
async function readsOf(r: Redis): Promise<number> {
  return Number(/total_reads_processed:(\d+)/.exec(await r.info('stats'))![1]);
}

it('sends the commands of one turn in one write, in order, and the next turn’s in another', async () => {
  const client = new Redis(redis.url);
  const watcher = new Redis(redis.url);
  const key = `cork:${Math.random()}`;
  await Promise.all([client.ping(), watcher.ping()]);
  const cork = corkPerTurn(client);
  const before = await readsOf(watcher);
  const turn = () => {
    const sent = [];
    for (let i = 0; i < 20; i++) {
      cork();
      sent.push(client.rpush(key, String(i)));
    }
    return Promise.all(sent);
  };
  await turn();
  const afterOne = await readsOf(watcher);
  await turn();
  const afterTwo = await readsOf(watcher);
  // Each INFO is a read of its own; each turn's twenty pushes one more.
  expect([afterOne - before, afterTwo - afterOne]).toEqual([2, 2]);
  expect(await client.lrange(key, 0, -1)).toEqual([...Array.from({ length: 20 }, (_, i) => String(i)), ...Array.from({ length: 20 }, (_, i) => String(i))]);
  await client.del(key);
  client.disconnect();
  watcher.disconnect();
});
