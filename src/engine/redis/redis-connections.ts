import type { Redis } from 'ioredis';
import type { ConnectionCounts } from '../../core/ports/records.ts';

/**
 * Open connections per budget key across every instance: P conns:<key> is a HASH of instance id ->
 * how many that instance holds. An instance counts its own as they open and close; a count sums the
 * instances still alive (P instance:<id> present), so the share of one that died without saying
 * goodbye stops counting once its presence expires.
 */
export function redisConnectionCounts(redis: Redis, P: string, instanceId: string): ConnectionCounts {
  const key = (budget: string) => `${P}conns:${budget}`;
  // A counter nobody touched for a day holds only stale shares.
  const touch = (budget: string, by: number) =>
    void redis
      .multi()
      .hincrby(key(budget), instanceId, by)
      .pexpire(key(budget), 86_400_000)
      .exec()
      .catch(() => {});
  return {
    opened: (budget) => touch(budget, 1),
    closed: (budget) => touch(budget, -1),
    async count(budget) {
      const shares = await redis.hgetall(key(budget));
      const instances = Object.keys(shares);
      if (instances.length === 0) return 0;
      const alive = await redis.mget(...instances.map((i) => `${P}instance:${i}`));
      let total = 0;
      instances.forEach((i, n) => {
        if (alive[n] !== null) total += Math.max(0, Number(shares[i]));
      });
      return total;
    },
  };
}
