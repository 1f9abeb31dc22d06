/**
 * A job's latest messages kept to send again, in bytes: those written into a connection that was
 * already dead never arrived. Older ones go; needing one of them after a re-attach, the gateway
 * requeues the attempt instead.
 */
export const KEPT_BYTES = 4 * 1024 * 1024;

type Parts = Array<string | Uint8Array>;

/**
 * One attempt's numbered messages (`n`: 1, 2, …) with their frames, the latest `maxBytes` of them,
 * to send again after a re-attach those the gateway says it lacks. The oldest let go by moving a
 * start index; the array is cut only once they are half of it, not shifted per message.
 */
export class KeptMessages {
  private kept: Array<{ n: number; parts: Parts; bytes: number }> = [];
  private from = 0;
  private bytes = 0;
  /** The attempt's messages numbered so far. */
  numbered = 0;

  constructor(private readonly maxBytes = KEPT_BYTES) {}

  /** Numbers the next message (`message(n)` writes it), keeps it with its frames, and returns them. */
  add(message: (n: number) => string, frames: Uint8Array[]): Parts {
    const n = ++this.numbered;
    const parts = [message(n), ...frames];
    const bytes = parts.reduce((sum, p) => sum + (typeof p === 'string' ? p.length : p.byteLength), 0);
    this.kept.push({ n, parts, bytes });
    this.bytes += bytes;
    while (this.bytes > this.maxBytes && this.kept.length - this.from > 1) this.bytes -= this.kept[this.from++]!.bytes;
    if (this.from * 2 > this.kept.length) {
      this.kept = this.kept.slice(this.from);
      this.from = 0;
    }
    return parts;
  }

  /** The kept messages numbered after `received`, in order. */
  *after(received: number): Generator<Parts> {
    for (let i = this.from; i < this.kept.length; i++) if (this.kept[i]!.n > received) yield this.kept[i]!.parts;
  }
}
