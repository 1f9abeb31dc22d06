import type { Redis } from 'ioredis';

/** The stream node size the gateway is measured with (docs/operations.md, Redis settings). */
export const STREAM_NODE_BYTES = 512;

/**
 * Refuses a Redis Cluster node at start, with a message that says why, rather than failing later
 * on the first script: every script names keys of several jobs, queues and indexes in one call,
 * which a Cluster serves only when they hash to one slot (docs/operations.md, Capacity).
 */
export async function refuseCluster(redis: Redis): Promise<void> {
  const info = await redis.info('cluster').catch(() => '');
  if (/^cluster_enabled:1/m.test(info)) {
    throw new Error('This Redis is a Cluster node: the Redis engine needs a standalone Redis (optionally with Sentinel). Point SPACEPORT_REDIS_URL at one.');
  }
}

/**
 * Says which of Redis's settings work against the gateway: an evicting `maxmemory-policy` (queued
 * jobs and event logs could vanish), and a `stream-node-max-bytes` above 1 KiB — Redis makes each
 * new stream with a node of that size (at most 4 KiB), and every job's event log is a new stream:
 * at the default 4096, 4.7 KB and ~15 µs of Redis time per job against 1.2 KB and ~4 µs at 512
 * (docs/benchmarks.md). Only told, never changed: the Redis may be shared.
 */
export async function checkRedisSettings(redis: Redis, warn: (message: string) => void): Promise<void> {
  // A Redis that does not let its settings be read (a managed one may rename CONFIG) is not judged.
  const read = (name: string) =>
    redis.config('GET', name).then(
      (pair) => (pair as string[])[1],
      () => undefined,
    );
  const [policy, nodeBytes] = await Promise.all([read('maxmemory-policy'), read('stream-node-max-bytes')]);
  if (policy && policy !== 'noeviction') warn(`Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict queued jobs and event logs. Set it to noeviction.`);
  if (nodeBytes && Number(nodeBytes) > 1024) {
    warn(`Redis stream-node-max-bytes is ${nodeBytes}: each job's event log starts with a node that large (up to 4 KiB). Set it to ${STREAM_NODE_BYTES} for less memory and Redis time per job.`);
  }
}
