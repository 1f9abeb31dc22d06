/**
 * The bytes of the most recently stored blobs, kept in memory up to a byte budget (oldest out
 * first). A result file is usually fetched right after it is stored — by the client that was
 * waiting for it — and this answers that fetch without reading the file back from disk.
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

  get(id: string): Buffer | undefined {
    return this.blobs.get(id);
  }

  delete(id: string): void {
    const data = this.blobs.get(id);
    if (!data) return;
    this.blobs.delete(id);
    this.bytes -= data.length;
  }
}
