/**
 * The bytes of recently stored blobs that nobody has read yet, kept in memory up to a byte budget
 * (oldest out first). A result file is usually fetched right after it is stored — by the client
 * that was waiting for it — and this answers that first read without going back to disk; the read
 * also ends the blob's stay here, so memory holds only what is still on its way to someone.
 * The files stay the source of truth; this only ever holds copies of what is on disk.
 */
export class RecentBlobs {
  private readonly blobs = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly budgetBytes: number) {}

  put(id: string, data: Buffer): void {
    if (data.length > this.budgetBytes / 4) return; // one huge blob would evict everything else
    this.delete(id);
    this.blobs.set(id, data);
    this.bytes += data.length;
    for (const [oldest, old] of this.blobs) {
      if (this.bytes <= this.budgetBytes) break;
      this.blobs.delete(oldest);
      this.bytes -= old.length;
    }
  }

  /** The bytes, if still here; they leave with this read. */
  take(id: string): Buffer | undefined {
    const data = this.blobs.get(id);
    if (data) this.delete(id);
    return data;
  }

  delete(id: string): void {
    const data = this.blobs.get(id);
    if (!data) return;
    this.blobs.delete(id);
    this.bytes -= data.length;
  }
}
