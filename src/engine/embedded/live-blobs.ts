import type { BlobMeta } from '../../core/ports/blobs.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import { giveBack, lend } from '../../protocol/lent-bytes.ts';

/** A region of the ring, in the order the head reached it; or a file held apart (`own`). */
interface Region {
  /** -1 for a file held apart. */
  offset: number;
  size: number;
  /** When it was claimed or put (ms). */
  at: number;
  /** Undefined while a frame is being read into it (reserved). */
  meta: BlobMeta | undefined;
  /** A file's bytes, when no region of the ring was free for them (every fitting one lent out). */
  own: Buffer | undefined;
  /** Passed by the head: what it holds may be overwritten. */
  evicted: boolean;
}

/** A ring region that must not be overwritten yet: a frame is being read into it, or sockets are writing it. */
interface Pin {
  end: number;
  count: number;
}

/**
 * The files of partial events — live media such as the frames of a video being generated — held in
 * memory only: the newest up to a byte budget, each for at most `maxAgeMs`. They are streamed, not
 * kept: a client that reconnects soon gets them again on replay; after the window (or a restart) the
 * event is still there but its bytes are not (docs/protocol.md, "Live media"). Writing every frame
 * to disk would cost more than relaying it (docs/benchmarks.md).
 *
 * The bytes live in one ring allocated once. A Buffer held for seconds outlives V8's young
 * generation, and freeing old-generation Buffers takes a full mark-compact — measured at 230 of them
 * in 20 s of 1 MiB frames, a quarter of the gateway's CPU. A worker's frame is read straight into a
 * region of the ring (`reserve`, then `put` adopts it); bytes that arrived elsewhere are copied in.
 *
 * Regions are lent rather than copied out to the sockets that push them (`lend`), and a lent region
 * is pinned: the ring's head skips over it until every writer has given it back, so a slow socket
 * never sends bytes overwritten by a newer frame. Readers that keep what they get (`get`) get a copy.
 */
export class LiveBlobs {
  /** Oldest first: the ring's regions in the order the head reached them (so eviction only takes from the front), and files held apart. */
  private readonly order: Region[] = [];
  private readonly blobs = new Map<string, Region>();
  /** The regions `reserve` lent, by the view lent. */
  private readonly reservations = new WeakMap<Uint8Array, Region>();
  /** By offset. Few at a time: the frames being read and the pushes being written. */
  private readonly pins = new Map<number, Pin>();
  private ring: Buffer | undefined;
  /** Where the next region starts. */
  private head = 0;
  /** Armed while something is held, so an idle gateway gives the memory back. */
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly budgetBytes: number,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A region for `size` bytes about to arrive (a frame read straight into it), lent until `put`
   * adopts it or it is given back (an upload that failed); undefined when none is free.
   */
  reserve(size: number): Buffer | undefined {
    if (size > this.budgetBytes) return undefined;
    const region = this.claim(size);
    if (!region) return undefined;
    const view = this.lendRegion(region.offset, size);
    this.reservations.set(view, region);
    return view;
  }

  /** Throws `input_too_large` for a file that could never fit the window. */
  put(meta: BlobMeta, bytes: Buffer): void {
    if (bytes.length > this.budgetBytes) {
      throw new SpaceportError('input_too_large', `A partial result's file is ${bytes.length} bytes; live media is held up to ${this.budgetBytes} bytes.`);
    }
    const reserved = this.reservations.get(bytes);
    if (reserved && !reserved.evicted) {
      reserved.meta = meta;
      reserved.at = this.now();
      this.hold(reserved);
    } else {
      const region = this.claim(bytes.length) ?? this.apart(bytes);
      if (!region.own) bytes.copy(this.ring!, region.offset);
      region.meta = meta;
      this.hold(region);
    }
    giveBack(bytes); // a reservation's pin: from now on the region is a file like any other
  }

  /** A copy of a file's bytes, the reader's to keep. */
  get(id: string): { meta: BlobMeta; bytes: Buffer } | undefined {
    const blob = this.live(id);
    if (!blob) return undefined;
    return { meta: blob.meta!, bytes: Buffer.from(blob.own ?? this.ring!.subarray(blob.offset, blob.offset + blob.size)) };
  }

  /** A file's bytes as they are held, lent (lent-bytes.ts): to be written once and given back. */
  lend(id: string): { meta: BlobMeta; bytes: Buffer } | undefined {
    const blob = this.live(id);
    if (!blob) return undefined;
    return { meta: blob.meta!, bytes: blob.own ?? this.lendRegion(blob.offset, blob.size) };
  }

  get size(): number {
    return this.blobs.size;
  }

  /** Regions lent and not yet given back. */
  get pinned(): number {
    return this.pins.size;
  }

  close(): void {
    clearTimeout(this.sweep);
    this.blobs.clear();
    this.order.length = 0;
    this.pins.clear();
    this.ring = undefined;
  }

  private live(id: string): Region | undefined {
    const blob = this.blobs.get(id);
    if (!blob || this.now() - blob.at > this.maxAgeMs) return undefined;
    return blob;
  }

  private hold(region: Region): void {
    this.blobs.set(region.meta!.id, region);
    this.sweep ??= setTimeout(() => this.swept(), this.maxAgeMs).unref();
  }

  /**
   * Holds bytes outside the ring: every region that would fit them is lent out (a stalled reader),
   * a rare case. Bytes that are themselves in the ring (a reservation the head passed) are copied
   * out, as their region goes back once they are put.
   */
  private apart(bytes: Buffer): Region {
    const own = bytes.buffer === this.ring?.buffer ? Buffer.from(bytes) : bytes;
    const region: Region = { offset: -1, size: bytes.length, at: this.now(), meta: undefined, own, evicted: false };
    this.order.push(region);
    return region;
  }

  /**
   * A region for `size` bytes: at the head, or past the pinned regions in its way, wrapping to the
   * start when the ring's end is reached. What it passes over is evicted — always the oldest
   * regions, because the head only moves forward. Undefined when a whole lap finds no room between pins.
   */
  private claim(size: number): Region | undefined {
    this.ring ??= Buffer.allocUnsafeSlow(this.budgetBytes);
    this.evictExpired();
    if (this.order.length === 0 && this.pins.size === 0) this.head = 0;
    let start = this.head;
    let wrapped = false;
    for (;;) {
      if (start + size > this.budgetBytes) {
        if (wrapped) return undefined;
        start = 0;
        wrapped = true;
      }
      const pin = this.pinOverlapping(start, start + size);
      if (!pin) break;
      if (wrapped && pin.end > this.head) return undefined; // past where this lap began
      start = pin.end;
    }
    this.evictUpTo(start + size, wrapped);
    this.head = start + size;
    const region: Region = { offset: start, size, at: this.now(), meta: undefined, own: undefined, evicted: false };
    this.order.push(region);
    return region;
  }

  /** Evicts the regions from the head up to `end`, going round past the ring's end first when `wraps`. */
  private evictUpTo(end: number, wraps: boolean): void {
    const head = this.head;
    const reach = wraps ? end + this.budgetBytes - head : end - head;
    while (this.order.length > 0) {
      const { offset } = this.order[0]!;
      if (offset >= 0 && (offset >= head ? offset - head : offset + this.budgetBytes - head) >= reach) break;
      this.evictOldest();
    }
  }

  private evictExpired(): void {
    const cutoff = this.now() - this.maxAgeMs;
    while (this.order.length > 0 && this.order[0]!.at < cutoff) this.evictOldest();
  }

  private evictOldest(): void {
    const region = this.order.shift()!;
    region.evicted = true;
    if (region.meta) this.blobs.delete(region.meta.id);
  }

  private pinOverlapping(start: number, end: number): Pin | undefined {
    for (const [offset, pin] of this.pins) if (offset < end && pin.end > start) return pin;
    return undefined;
  }

  private lendRegion(offset: number, size: number): Buffer {
    const pin = this.pins.get(offset);
    if (pin) pin.count += 1;
    else this.pins.set(offset, { end: offset + size, count: 1 });
    return lend(this.ring!.subarray(offset, offset + size), () => this.unpin(offset));
  }

  private unpin(offset: number): void {
    const pin = this.pins.get(offset);
    if (pin && --pin.count === 0) this.pins.delete(offset);
  }

  private swept(): void {
    this.sweep = undefined;
    this.evictExpired();
    if (this.order.length > 0) this.sweep = setTimeout(() => this.swept(), this.maxAgeMs).unref();
    else if (this.pins.size === 0) this.ring = undefined; // idle: the memory goes back
  }
}
