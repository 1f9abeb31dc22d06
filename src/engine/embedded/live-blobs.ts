import type { BlobMeta } from '../types.ts';
import { SpaceportError } from '../../protocol/errors.ts';

interface LiveBlob {
  meta: BlobMeta;
  /** Where its bytes are in the ring. */
  offset: number;
  /** When it was put (ms). */
  at: number;
  /** The Buffer it came in, until the end of this turn: the first readers (its pushes) take it as it is. */
  fresh: Buffer | undefined;
}

/**
 * The files of partial events — live media such as the frames of a video being generated — held in
 * memory only: the newest up to a byte budget, each for at most `maxAgeMs`. They are streamed, not
 * kept: a client that reconnects soon gets them again on replay; after the window (or a restart) the
 * event is still there but its bytes are not (docs/protocol.md, "Live media"). Writing every frame
 * to disk would cost more than relaying it (docs/benchmarks.md).
 *
 * The bytes are copied into one ring allocated once, rather than the incoming Buffers kept: a
 * Buffer held for seconds outlives V8's young generation, and freeing old-generation Buffers takes
 * a full mark-compact — measured at 230 of them in 20 s of 1 MiB frames, a quarter of the
 * gateway's CPU. A copy into the ring lets the incoming Buffer die young, as in a plain relay.
 * Readers get a copy back out (a ring region is reused while a socket may still be writing what
 * was handed to it), except in the turn of the put, when the original is handed over as it is.
 */
export class LiveBlobs {
  /** In put order, so the oldest is first (a Map keeps insertion order). */
  private readonly blobs = new Map<string, LiveBlob>();
  private ring: Buffer | undefined;
  /** Where the next blob goes. */
  private head = 0;
  private freshIds: string[] = [];
  /** Armed while something is held, so an idle gateway gives the memory back. */
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly budgetBytes: number,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws `input_too_large` for a file that could never fit the window. */
  put(meta: BlobMeta, bytes: Buffer): void {
    if (bytes.length > this.budgetBytes) {
      throw new SpaceportError('input_too_large', `A partial result's file is ${bytes.length} bytes; live media is held up to ${this.budgetBytes} bytes.`);
    }
    this.ring ??= Buffer.allocUnsafeSlow(this.budgetBytes);
    this.evictExpired();
    if (this.blobs.size === 0) this.head = 0;
    if (this.head + bytes.length > this.budgetBytes) {
      // What is left of the last lap, beyond the head, is the oldest there is: it goes, and the head wraps.
      this.evictWhile((b) => b.offset >= this.head);
      this.head = 0;
    }
    const start = this.head;
    const end = start + bytes.length;
    this.evictWhile((b) => b.offset >= start && b.offset < end);
    bytes.copy(this.ring, start);
    this.blobs.set(meta.id, { meta, offset: start, at: this.now(), fresh: bytes });
    this.head = end;
    if (this.freshIds.push(meta.id) === 1) setImmediate(() => this.staled());
    this.sweep ??= setTimeout(() => this.swept(), this.maxAgeMs).unref();
  }

  get(id: string): { meta: BlobMeta; bytes: Buffer } | undefined {
    const blob = this.blobs.get(id);
    if (!blob || !this.ring) return undefined;
    if (this.now() - blob.at > this.maxAgeMs) return undefined;
    return { meta: blob.meta, bytes: blob.fresh ?? Buffer.from(this.ring.subarray(blob.offset, blob.offset + blob.meta.size)) };
  }

  get size(): number {
    return this.blobs.size;
  }

  close(): void {
    clearTimeout(this.sweep);
    this.blobs.clear();
    this.ring = undefined;
  }

  private evictWhile(test: (oldest: LiveBlob) => boolean): void {
    for (const [id, blob] of this.blobs) {
      if (!test(blob)) break;
      this.blobs.delete(id);
    }
  }

  private evictExpired(): void {
    const cutoff = this.now() - this.maxAgeMs;
    this.evictWhile((b) => b.at < cutoff);
  }

  private staled(): void {
    for (const id of this.freshIds) {
      const blob = this.blobs.get(id);
      if (blob) blob.fresh = undefined;
    }
    this.freshIds = [];
  }

  private swept(): void {
    this.sweep = undefined;
    this.evictExpired();
    if (this.blobs.size > 0) this.sweep = setTimeout(() => this.swept(), this.maxAgeMs).unref();
    else this.ring = undefined; // idle: the memory goes back
  }
}
