import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobLaneFor, type BlobLane } from '../../src/engine/redis/blob-lane.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let locked: TestRedis;
beforeAll(async () => {
  [redis, locked] = await Promise.all([startRedis(), startRedis(undefined, ['--requirepass', 'sesame'])]);
});
afterAll(async () => {
  await Promise.all([redis.stop(), locked.stop()]);
});

const laneTo = (url: string, timeoutMs = 5000): BlobLane => {
  const lane = blobLaneFor(url, timeoutMs);
  if (!lane) throw new Error(`no lane for ${url}`);
  return lane;
};
const key = (name: string) => `lane-test:${name}:${Math.random().toString(36).slice(2)}`;

describe('BlobLane', () => {
  it('stores and reads files byte for byte — large ones across many reads, empty ones, CR LF inside — with their expiry, answering pipelined commands in order', async () => {
    const lane = laneTo(redis.url);
    const admin = new Redis(redis.url);
    const files = [Buffer.alloc(0), Buffer.from('a\r\nb\r\n'), Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 7 }, (_, i) => (i * 31) % 256)), Buffer.alloc(70_000, 0x0d)];
    const keys = files.map((_, i) => key(`f${i}`));
    await Promise.all(files.map((bytes, i) => lane.set(keys[i]!, bytes, 60_000)));
    const read = await Promise.all([...keys.map((k) => lane.get(k)), lane.get(key('never'))]);
    files.forEach((bytes, i) => expect(read[i]!.equals(bytes)).toBe(true));
    expect(read[files.length]).toBeNull();
    // What the lane stored is what ioredis reads, and it expires.
    expect((await admin.getBuffer(keys[2]!))!.equals(files[2]!)).toBe(true);
    expect(await admin.pttl(keys[1]!)).toBeGreaterThan(50_000);
    admin.disconnect();
    lane.close();
  });

  it('authenticates and selects the database its URL names, and fails every command when the password is wrong', async () => {
    const lane = laneTo(`redis://:sesame@127.0.0.1:${locked.port}/3`);
    const k = key('db3');
    await lane.set(k, Buffer.from('in three'), 60_000);
    const admin = new Redis(`redis://:sesame@127.0.0.1:${locked.port}/3`);
    expect(await admin.get(k)).toBe('in three');
    admin.disconnect();
    lane.close();
    const wrong = laneTo(`redis://:nope@127.0.0.1:${locked.port}`);
    await expect(wrong.get(k)).rejects.toThrow();
    await expect(wrong.get(k)).rejects.toThrow(); // and again, on a connection of its own
    wrong.close();
  });

  it('fails what Redis does not answer within its time, and connects again for the next command', async () => {
    const lane = laneTo(redis.url, 300);
    const k = key('hang');
    await lane.set(k, Buffer.from('kept'), 60_000);
    redis.freeze();
    try {
      await expect(lane.get(k)).rejects.toThrow(/did not answer within 300 ms/);
    } finally {
      redis.thaw();
    }
    expect((await lane.get(k))?.toString()).toBe('kept');
    lane.close();
  });

  it('fails the commands waiting when its connection drops, and the next one connects again', async () => {
    const lane = laneTo(redis.url);
    const k = key('drop');
    await lane.set(k, Buffer.from('lost'), 60_000);
    redis.freeze();
    const failed = expect(lane.get(k)).rejects.toThrow(/closed|ECONNRESET/);
    await redis.kill(); // the connection drops with the command unanswered
    await failed;
    await redis.restart();
    await lane.set(k, Buffer.from('again'), 60_000);
    expect((await lane.get(k))?.toString()).toBe('again');
    lane.close();
  });

  it('is made only for URLs it fully understands: ioredis carries the bytes for the rest', () => {
    expect(blobLaneFor('redis://127.0.0.1:6379', 1000)).toBeDefined();
    expect(blobLaneFor('redis://user:pw@cache.example:6380/2', 1000)).toBeDefined();
    expect(blobLaneFor('rediss://user:pw@cache.example:6380/2', 1000)).toBeUndefined();
    expect(blobLaneFor('redis://127.0.0.1:6379?family=6', 1000)).toBeUndefined();
    expect(blobLaneFor('redis://127.0.0.1:6379/db', 1000)).toBeUndefined();
    expect(blobLaneFor('/tmp/redis.sock', 1000)).toBeUndefined();
    expect(blobLaneFor('unix:///tmp/redis.sock', 1000)).toBeUndefined();
  });
});
