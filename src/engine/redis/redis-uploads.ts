import { readFile, unlink } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import type { BlobMeta, BlobStore } from '../../core/ports/blobs.ts';
import { guard } from './redis-guard.ts';

/**
 * Uploads in Redis, stored like every blob (P blob:<id>, P blobmeta:<id>) and, until a job claims
 * them, listed twice:
 *   P uploads            ZSET  upload ids by when they were stored (what purgeUploadsBefore reads)
 *   P uploads-of:<owner> HASH  upload id -> size (what uploadedBytes sums)
 * A claim moves the upload to its job (P jobblobs:<job>), so retention deletes it with the job.
 */
export function redisUploads(redis: Redis, P: string, refuseOverMax: (bytes: Buffer) => void): Pick<BlobStore, 'putUpload' | 'claimUpload' | 'uploadedBytes' | 'purgeUploadsBefore'> {
  const ownerKey = (owner: string | null | undefined) => `${P}uploads-of:${owner ?? ''}`;
  const metaOf = async (id: string) => {
    const json = await redis.get(`${P}blobmeta:${id}`);
    return json ? (JSON.parse(json) as BlobMeta) : null;
  };
  return {
    putUpload: (meta, file) =>
      guard(async () => {
        try {
          // Redis keeps the bytes themselves: read once from the file the upload was streamed to.
          const bytes = await readFile(file);
          refuseOverMax(bytes);
          await redis
            .multi()
            .set(`${P}blob:${meta.id}`, bytes)
            .set(`${P}blobmeta:${meta.id}`, JSON.stringify(meta))
            .zadd(`${P}uploads`, meta.created_at, meta.id)
            .hset(ownerKey(meta.owner), meta.id, meta.size)
            .exec();
        } finally {
          await unlink(file).catch(() => {});
        }
      }),
    claimUpload: (id, jobId) =>
      guard(async () => {
        const meta = await metaOf(id);
        if (!meta || meta.job_id !== null) return;
        await redis
          .multi()
          .set(`${P}blobmeta:${id}`, JSON.stringify({ ...meta, job_id: jobId }))
          .sadd(`${P}jobblobs:${jobId}`, id)
          .zrem(`${P}uploads`, id)
          .hdel(ownerKey(meta.owner), id)
          .exec();
      }),
    uploadedBytes: (owner) =>
      guard(async () => {
        let total = 0;
        for (const size of await redis.hvals(ownerKey(owner))) total += Number(size);
        return total;
      }),
    purgeUploadsBefore: (before) =>
      guard(async () => {
        let purged = 0;
        for (const id of await redis.zrangebyscore(`${P}uploads`, '-inf', `(${before}`)) {
          const meta = await metaOf(id);
          // Claimed since it was listed: the job has it now.
          if (meta && meta.job_id !== null) continue;
          await redis.multi().del(`${P}blob:${id}`, `${P}blobmeta:${id}`).zrem(`${P}uploads`, id).hdel(ownerKey(meta?.owner), id).exec();
          purged++;
        }
        return purged;
      }),
  };
}
