import type { Redis } from 'ioredis';
import type { BlobMeta, BlobStore } from '../../core/ports/blobs.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import { giveBack } from '../../protocol/lent-bytes.ts';
import type { BlobLane } from './blob-lane.ts';
import { ScratchRing } from './scratch-ring.ts';
import { LiveMediaBudget } from './live-media-budget.ts';
import { redisUploads } from './redis-uploads.ts';
import { guard } from './redis-guard.ts';

/** The memory frames and files read back are lent from, while live media flows. */
const SCRATCH_BYTES = 32 * 1024 * 1024;

/**
 * The blobs port in Redis: P blob:<id> (the bytes) and P blobmeta:<id> (BlobMeta JSON); a job's
 * in P jobblobs:<job> so retention deletes them with it; live media with an expiry instead;
 * uploads as redis-uploads.ts keeps them. Live media's bytes, and every file's bytes read, go by
 * the blob lane where there is one (blob-lane.ts: fewer copies than through ioredis).
 */
export function redisBlobs(redis: Redis, P: string, limits: { maxBlobBytes: number; liveMediaMs: number; liveMediaBytes: number }, lane: BlobLane | undefined): Omit<BlobStore, 'lendLiveBlob'> {
  const scratch = lane && new ScratchRing(SCRATCH_BYTES);
  const budget = new LiveMediaBudget(limits.liveMediaBytes, limits.liveMediaMs);
  /** A file, its bytes read into `memory` when it lends some (and given back if the file is not whole). */
  const read = (id: string, memory?: (size: number) => Buffer | undefined) =>
    guard(async () => {
      const key = `${P}blob:${id}`;
      const [meta, bytes] = await Promise.allSettled([redis.get(`${P}blobmeta:${id}`), lane ? lane.get(key, memory) : redis.getBuffer(key)]);
      if (meta.status === 'fulfilled' && bytes.status === 'fulfilled' && meta.value && bytes.value) return { meta: JSON.parse(meta.value) as BlobMeta, bytes: bytes.value };
      if (bytes.status === 'fulfilled') giveBack(bytes.value ?? undefined);
      for (const settled of [meta, bytes]) if (settled.status === 'rejected') throw settled.reason;
      return null;
    });
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
    ...redisUploads(redis, P, refuseOverMax),
    putLiveBlob: (meta: BlobMeta, bytes: Buffer) =>
      guard(async () => {
        refuseOverMax(bytes);
        if (bytes.length > limits.liveMediaBytes) {
          throw new SpaceportError('input_too_large', `A live file is held within ${limits.liveMediaBytes} bytes (this one is ${bytes.length}).`);
        }
        // Both keys expire together; retention never needs to find them. Two commands, not a
        // MULTI (which would copy the bytes into one buffer with the rest): both are stored
        // before the event naming the file is appended, which is how readers learn of it.
        const key = `${P}blob:${meta.id}`;
        const bytes$ = lane ? lane.set(key, bytes, limits.liveMediaMs) : redis.set(key, bytes, 'PX', limits.liveMediaMs);
        await Promise.all([redis.set(`${P}blobmeta:${meta.id}`, JSON.stringify(meta), 'PX', limits.liveMediaMs), bytes$]);
        const over = budget.add(meta.id, bytes.length);
        // Not waited for, and not this file's failure: what is not deleted expires by itself.
        if (over.length > 0) void redis.unlink(...over.flatMap((id) => [`${P}blob:${id}`, `${P}blobmeta:${id}`])).catch(() => {});
      }),
    getBlob: (id) => read(id),
    // Where the lane carries the bytes, frames are read into (and files read back into) memory
    // from one ring, written on from there and given back: nothing allocated per file.
    ...(scratch && {
      reserveLiveBlob: (size: number) => scratch.take(size),
      lendBlob: (id: string) => read(id, (size) => scratch.take(size)),
    }),
  };
}
