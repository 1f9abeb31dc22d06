import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LIVE_MEDIA_DEFAULTS, type BlobMeta, type BlobStore } from '../../core/ports/blobs.ts';
import { LiveBlobs } from './live-blobs.ts';
import { RecentBlobs } from './recent-blobs.ts';
import type { SqliteStore } from './sqlite-store.ts';
import { UploadLedger } from './upload-ledger.ts';

export interface BlobOptions {
  /** Memory for the bytes of stored blobs not yet read, so a fetch right after a result skips the disk. @default 64 MiB */
  recentBlobBytes?: number;
  /** Memory for the files of partial events (live media), newest kept. @default 64 MiB */
  liveMediaBytes?: number;
  /** How long a partial event's file is held for clients that replay it. @default 60_000 */
  liveMediaMs?: number;
}

/**
 * The embedded engine's blobs: files under `<data>/blobs/` with their metadata in SQLite, the last
 * stored ones also in memory for a moment (RecentBlobs), live media only in memory (LiveBlobs), and
 * the ledger of uploads no job has claimed. `removeBlob` deletes one's file (its row is the
 * caller's); `close` lets go of the live-media memory.
 */
export function embeddedBlobs(dataDir: string, store: SqliteStore, options: BlobOptions): BlobStore & { removeBlob(id: string): Promise<void>; close(): void } {
  const blobPath = (id: string) => join(dataDir, 'blobs', id);
  const recentBlobs = new RecentBlobs(options.recentBlobBytes ?? 64 * 1024 * 1024);
  const liveBlobs = new LiveBlobs(options.liveMediaBytes ?? LIVE_MEDIA_DEFAULTS.bytes, options.liveMediaMs ?? LIVE_MEDIA_DEFAULTS.ms);
  const removeBlob = async (id: string) => {
    recentBlobs.delete(id);
    await unlink(blobPath(id)).catch(() => {});
  };
  const uploads = new UploadLedger();
  for (const meta of store.unclaimedBlobs()) uploads.add(meta);

  return {
    removeBlob,
    close: () => liveBlobs.close(),
    async putBlob(meta: BlobMeta, bytes: Buffer) {
      // Write then rename, so a crash never leaves a half-written blob under its id.
      const tmp = `${blobPath(meta.id)}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, blobPath(meta.id));
      store.putBlob(meta);
      recentBlobs.put(meta.id, bytes);
    },
    async putUpload(meta: BlobMeta, file: string) {
      // The upload was streamed to a file in the data directory: moved in, never read into memory.
      await rename(file, blobPath(meta.id));
      store.putBlob(meta);
      uploads.add(meta);
    },
    async claimUpload(id, jobId) {
      if (!uploads.remove(id)) return;
      const meta = store.getBlob(id);
      if (meta && meta.job_id === null) store.putBlob({ ...meta, job_id: jobId });
    },
    async uploadedBytes(owner) {
      return uploads.bytes(owner);
    },
    async deleteBlobs(ids) {
      for (const id of ids) {
        store.deleteBlob(id);
        await removeBlob(id);
      }
    },
    async purgeUploadsBefore(before) {
      const ids = uploads.storedBefore(before);
      for (const id of ids) {
        uploads.remove(id);
        store.deleteBlob(id);
        await removeBlob(id);
      }
      return ids.length;
    },
    async putLiveBlob(meta: BlobMeta, bytes: Buffer) {
      liveBlobs.put(meta, bytes);
    },
    reserveLiveBlob: (size) => liveBlobs.reserve(size),
    lendLiveBlob: (id) => liveBlobs.lend(id),
    async getBlob(id) {
      const live = liveBlobs.get(id);
      if (live) return live;
      const meta = store.getBlob(id);
      if (!meta) return null;
      const bytes = recentBlobs.take(id) ?? (await readFile(blobPath(id)).catch(() => null));
      return bytes ? { meta, bytes } : null;
    },
  };
}
