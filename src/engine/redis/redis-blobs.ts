import type { Redis } from 'ioredis';
import type { BlobMeta, BlobStore } from '../../core/ports/blobs.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import type { BlobLane } from './blob-lane.ts';
import { redisUploads } from './redis-uploads.ts';

/**
 * The blobs port in Redis: P blob:<id> (the bytes) and P blobmeta:<id> (BlobMeta JSON); a job's
 * in P jobblobs:<job> so retention deletes them with it; live media with an expiry instead;
 * uploads as redis-uploads.ts keeps them. Live media's bytes, and every file's bytes read, go by
 * the blob lane where there is one (blob-lane.ts: fewer copies than through ioredis).
 */
export function redisBlobs(
  redis: Redis,
  P: string,
  guard: <T>(work: () => Promise<T>) => Promise<T>,
  limits: { maxBlobBytes: number; liveMediaMs: number },
  lane: BlobLane | undefined,
): Omit<BlobStore, 'reserveLiveBlob' | 'lendLiveBlob'> {
  const bytesOf = (key: string) => (lane ? lane.get(key) : redis.getBuffer(key));
  const refuseOverMax = (bytes: Buffer) => {
    if (bytes.length > limits.maxBlobBytes) {
      throw new SpaceportError('input_too_large', `Files over ${limits.maxBlobBytes} bytes are not kept with the Redis engine (this one is ${bytes.length}).`);
    }
  };
  return {
    putBlob: (meta: BlobMeta, bytes: Buffer) =>
      guard(async () => {
        refuseOverMax(bytes);
        const tx = redis.multi().set(`${P}blob:${meta.id}`, bytes).set(`${P}blobmeta:${meta.id}`, JSON.stringify(meta));
        if (meta.job_id) tx.sadd(`${P}jobblobs:${meta.job_id}`, meta.id);
        await tx.exec();
      }),
    deleteBlobs: (ids: string[]) =>
      guard(async () => {
        if (ids.length === 0) return;
        const metas = (await redis.mget(ids.map((id) => `${P}blobmeta:${id}`))).map((m) => (m ? (JSON.parse(m) as BlobMeta) : null));
        const tx = redis.multi().del(...ids.flatMap((id) => [`${P}blob:${id}`, `${P}blobmeta:${id}`]));
        for (const meta of metas) if (meta?.job_id) tx.srem(`${P}jobblobs:${meta.job_id}`, meta.id);
        await tx.exec();
      }),
    ...redisUploads(redis, P, guard, refuseOverMax),
    putLiveBlob: (meta: BlobMeta, bytes: Buffer) =>
      guard(async () => {
        refuseOverMax(bytes);
        // Both keys expire together; retention never needs to find them. Two commands, not a
        // MULTI (which would copy the bytes into one buffer with the rest): both are stored
        // before the event naming the file is appended, which is how readers learn of it.
        const key = `${P}blob:${meta.id}`;
        const bytes$ = lane ? lane.set(key, bytes, limits.liveMediaMs) : redis.set(key, bytes, 'PX', limits.liveMediaMs);
        await Promise.all([redis.set(`${P}blobmeta:${meta.id}`, JSON.stringify(meta), 'PX', limits.liveMediaMs), bytes$]);
      }),
    getBlob: (id) =>
      guard(async () => {
        const [meta, bytes] = await Promise.all([redis.get(`${P}blobmeta:${id}`), bytesOf(`${P}blob:${id}`)]);
        return meta && bytes ? { meta: JSON.parse(meta) as BlobMeta, bytes } : null;
      }),
  };
}
