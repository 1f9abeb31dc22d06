import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisEngine } from '../../src/engine/redis/redis-engine.ts';
import { SUBMIT } from '../../src/engine/redis/scripts.ts';
import { isParked, type ParkedClaim } from '../../src/core/ports/jobs.ts';
import { runEngineContract } from '../contract/engine-contract.ts';
import { job, queued, space } from '../contract/harness.ts';
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
  it('refuses a Redis Cluster node with a message that says why, instead of failing on the first script', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spaceport-cluster-'));
    const node = await startRedis(undefined, ['--cluster-enabled', 'yes', '--dir', dir]);
    try {
      await expect(createRedisEngine({ url: node.url, prefix: 'cluster:' })).rejects.toThrow(/Cluster node: the Redis engine needs a standalone Redis/);
      // Refused before it loaded or wrote anything.
      const admin = new Redis(node.url);
      expect(await admin.dbsize()).toBe(0);
      expect(await admin.script('EXISTS', createHash('sha1').update(SUBMIT).digest('hex'))).toEqual([0]);
      admin.disconnect();
    } finally {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

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

  it('warns when Redis makes each new stream (every job’s event log) with a node of more than 1 KiB', async () => {
    const admin = new Redis(redis.url);
    await admin.config('SET', 'stream-node-max-bytes', '4096');
    const warnings: string[] = [];
    await (await createRedisEngine({ url: redis.url, prefix: 'warn:', warn: (m) => warnings.push(m) })).close();
    await admin.config('SET', 'stream-node-max-bytes', '512');
    admin.disconnect();
    expect(warnings).toEqual([expect.stringContaining('stream-node-max-bytes is 4096')]);
  });

  it('starts on a Redis whose settings cannot be read (CONFIG renamed away, as managed ones may), judging none', async () => {
    const locked = await startRedis(undefined, ['--rename-command', 'CONFIG', '""']);
    const warnings: string[] = [];
    const engine = await createRedisEngine({ url: locked.url, prefix: 'locked:', warn: (m) => warnings.push(m) });
    await engine.close();
    await locked.stop();
    expect(warnings).toEqual([]);
  });
});

describe('redis engine worker presence', () => {
  it('writes the changes of a turn as one HSET of the newest states, nothing unchanged, and never a worker back after its removal', async () => {
    const prefix = `p${Math.random().toString(36).slice(2)}:`;
    const engine = await createRedisEngine({ url: redis.url, prefix });
    const monitor = new Redis(redis.url);
    const seen: string[][] = [];
    (await monitor.monitor()).on('monitor', (_time: string, args: string[]) => {
      if (args[1] === `${prefix}workers`) seen.push(args);
    });
    const info = (id: string, running: number) => ({ id, name: id, space_ids: ['s'], slots: 4, running, draining: false, connected_at: 1, instance: engine.instanceId });
    await Promise.all([engine.putWorker(info('w1', 1)), engine.putWorker(info('w1', 2)), engine.putWorker(info('w2', 0))]);
    await engine.putWorker(info('w1', 2)); // unchanged: not written
    const put = engine.putWorker(info('w2', 3));
    await engine.removeWorker('w2'); // in the same turn as a write of it
    await put;
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.map((args) => args[0]!.toLowerCase())).toEqual(['hset', 'hdel']);
    expect(seen[0]!.filter((a) => a.startsWith('{')).map((j) => JSON.parse(j).running)).toEqual([2, 0]);
    expect(((await engine.listWorkers()) as Array<{ id: string; running: number }>).map((w) => [w.id, w.running])).toEqual([['w1', 2]]);
    monitor.disconnect();
    await engine.close();
  });

  it('writes a change of running count alone after runningWriteMs without making the caller wait, and any other change at the end of the turn', async () => {
    const prefix = `p${Math.random().toString(36).slice(2)}:`;
    const engine = await createRedisEngine({ url: redis.url, prefix, runningWriteMs: 300 });
    const info = (running: number, draining = false) => ({ id: 'w1', name: 'w1', space_ids: ['s'], slots: 4, running, draining, connected_at: 1, instance: engine.instanceId });
    const stored = async () => ((await engine.listWorkers()) as Array<{ running: number; draining: boolean }>).map((w) => [w.running, w.draining]);
    await engine.putWorker(info(0));
    expect(await stored()).toEqual([[0, false]]);
    expect(engine.putWorker(info(1))).toBeUndefined(); // answered at once
    engine.putWorker(info(2));
    expect(await stored()).toEqual([[0, false]]);
    await new Promise((r) => setTimeout(r, 450));
    expect(await stored()).toEqual([[2, false]]); // the newest count, once
    engine.putWorker(info(3));
    await engine.putWorker(info(3, true)); // draining: not left waiting behind the count
    expect(await stored()).toEqual([[3, true]]);
    await engine.close();
  });
});

describe('redis engine parked slots', () => {
  it('skips the parked slots of an instance that is gone; when its subscription dropped, finds the jobs assigned meanwhile and withdraws the slots still parked', async () => {
    const prefix = `k${Math.random().toString(36).slice(2)}:`;
    const gone = await createRedisEngine({ url: redis.url, prefix });
    const live = await createRedisEngine({ url: redis.url, prefix });
    const s = space('parked-gone', { max_queue: 10 });
    await live.createSpace(s);
    expect(isParked(await gone.claimOrPark!([s.id], 'w-gone', 60_000))).toBe(true);
    await gone.close(); // its instance key goes, as a crashed one's expires
    const a = job(s);
    await live.submitJob(a, 10, queued);
    expect(await live.queuedJobIds(s.id)).toEqual([a.id]);
    expect(await live.claimOrPark!([s.id], 'w-live', 60_000)).toMatchObject({ id: a.id, worker_id: 'w-live' });
    // A job assigned while the instance's subscription is down is found again once it is back.
    const parked = (await live.claimOrPark!([s.id], 'w-live', 60_000)) as ParkedClaim;
    const admin = new Redis(redis.url);
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    const b = job(s);
    await live.submitJob(b, 10, queued);
    expect(await live.queuedJobIds(s.id)).toEqual([]);
    expect(await parked.assigned).toMatchObject({ id: b.id, state: 'assigned', worker_id: 'w-live' });
    // A slot still parked when it dropped is withdrawn, and takes nothing.
    const again = (await live.claimOrPark!([s.id], 'w-live', 60_000)) as ParkedClaim;
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    expect(await again.assigned).toBeNull();
    const c = job(s);
    await live.submitJob(c, 10, queued);
    expect(await live.queuedJobIds(s.id)).toEqual([c.id]);
    admin.disconnect();
    await live.close();
  });
});

describe('redis engine live media budget', () => {
  it('keeps at most liveMediaBytes of the live files it stored, deleting the oldest first, and refuses a file larger than all of it', async () => {
    const prefix = `b${Math.random().toString(36).slice(2)}:`;
    const engine = await createRedisEngine({ url: redis.url, prefix, liveMediaBytes: 10_000 });
    const file = (n: number) => ({ id: `blob_budget${n}`, name: 'f.bin', mime: 'application/octet-stream', size: 4000, created_at: 1, job_id: 'job_b' });
    for (let n = 0; n < 5; n++) await engine.putLiveBlob(file(n), Buffer.alloc(4000, n));
    await engine.getBlob('blob_none'); // the deletions went before this read on the same connection
    const held = await Promise.all([0, 1, 2, 3, 4].map(async (n) => (await engine.getBlob(`blob_budget${n}`))?.bytes[0]));
    expect(held).toEqual([undefined, undefined, undefined, 3, 4]);
    const admin = new Redis(redis.url);
    expect(await admin.exists(`${prefix}blob:blob_budget0`, `${prefix}blobmeta:blob_budget0`)).toBe(0);
    admin.disconnect();
    await expect(engine.putLiveBlob({ ...file(9), size: 10_001 }, Buffer.alloc(10_001))).rejects.toMatchObject({ code: 'input_too_large' });
    await engine.close();
  });
});
