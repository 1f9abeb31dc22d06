import type { BlobMeta } from '../../core/ports/blobs.ts';

/**
 * The uploads no job has claimed yet — their owner, size and age — kept in memory (rebuilt from
 * SQLite at start), so a caller's stored bytes are known without a query and the ones past
 * retention are found without a scan of every blob.
 */
export class UploadLedger {
  /** In the order they were stored, which is the order they expire in. */
  private readonly byId = new Map<string, { owner: string; size: number; createdAt: number }>();
  private readonly bytesOf = new Map<string, number>();

  add(meta: BlobMeta): void {
    const owner = meta.owner ?? '';
    this.byId.set(meta.id, { owner, size: meta.size, createdAt: meta.created_at });
    this.bytesOf.set(owner, (this.bytesOf.get(owner) ?? 0) + meta.size);
  }

  /** Takes an upload off the ledger (claimed, or purged); false when it was not on it. */
  remove(id: string): boolean {
    const entry = this.byId.get(id);
    if (!entry) return false;
    this.byId.delete(id);
    const left = (this.bytesOf.get(entry.owner) ?? 0) - entry.size;
    if (left > 0) this.bytesOf.set(entry.owner, left);
    else this.bytesOf.delete(entry.owner);
    return true;
  }

  bytes(owner: string): number {
    return this.bytesOf.get(owner) ?? 0;
  }

  /** The uploads stored before `before`. */
  storedBefore(before: number): string[] {
    const out: string[] = [];
    for (const [id, entry] of this.byId) if (entry.createdAt < before) out.push(id);
    return out;
  }
}
