import { readFile, unlink } from 'node:fs/promises';
import type { BlobMeta, BlobStore } from '../../src/core/ports/blobs.ts';
import { SpaceportError } from '../../src/protocol/errors.ts';

/** The blobs port in a map; `deleteOwnedBy` is how jobs and sessions take their blobs with them. */
export function memoryBlobs(maxLiveBytes = 64 * 1024 * 1024): BlobStore & { deleteOwnedBy(ownerId: string): void } {
  const blobs = new Map<string, { meta: BlobMeta; bytes: Buffer }>();
  const unclaimed = (owner?: string) => [...blobs.values()].filter((b) => b.meta.job_id === null && b.meta.owner && (owner === undefined || b.meta.owner === owner));
  return {
    putBlob: async (meta, bytes) => void blobs.set(meta.id, { meta: { ...meta }, bytes: Buffer.from(bytes) }),
    async putUpload(meta, file) {
      const bytes = await readFile(file);
      await unlink(file);
      blobs.set(meta.id, { meta: { ...meta }, bytes });
    },
    async claimUpload(id, jobId) {
      const blob = blobs.get(id);
      if (blob && blob.meta.job_id === null) blob.meta = { ...blob.meta, job_id: jobId, owner: null };
    },
    uploadedBytes: async (owner) => unclaimed(owner).reduce((n, b) => n + b.meta.size, 0),
    async purgeUploadsBefore(before) {
      const old = unclaimed().filter((b) => b.meta.created_at < before);
      for (const b of old) blobs.delete(b.meta.id);
      return old.length;
    },
    deleteBlobs: async (ids) => {
      for (const id of ids) blobs.delete(id);
    },
    getBlob: async (id) => {
      const blob = blobs.get(id);
      return blob ? { meta: { ...blob.meta }, bytes: blob.bytes } : null;
    },
    async putLiveBlob(meta, bytes) {
      if (bytes.length > maxLiveBytes) throw new SpaceportError('input_too_large', `A live file holds at most ${maxLiveBytes} bytes.`);
      blobs.set(meta.id, { meta: { ...meta }, bytes: Buffer.from(bytes) });
    },
    deleteOwnedBy(ownerId) {
      for (const b of [...blobs.values()]) if (b.meta.job_id === ownerId) blobs.delete(b.meta.id);
    },
  };
}
