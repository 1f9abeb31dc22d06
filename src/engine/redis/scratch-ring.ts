import { lend } from '../../protocol/lent-bytes.ts';

/** How long the ring's memory is kept once nothing is lent: a gateway that stops relaying media gives it back. */
const IDLE_MS = 5000;

interface Region {
  offset: number;
  end: number;
  returned: boolean;
}

/**
 * Memory lent for a while and then given back (lent-bytes.ts), all from one ring, so relaying live
 * media through Redis allocates nothing per file: a worker's frame is read into a region and
 * written to Redis from it, a file read back from Redis is read into one and written to the
 * clients from it. Each new Buffer of a MiB would otherwise be garbage to collect a moment later,
 * and collecting them was most of a relaying gateway's CPU (docs/benchmarks.md).
 *
 * Regions are taken at the head, in order, and come back in about that order; one given back early
 * waits for those before it. With no room (slow sockets holding regions, or a file over half the
 * ring) `take` answers undefined and the caller allocates as it would have.
 */
export class ScratchRing {
  private memory: Buffer | undefined;
  /** Lent and not yet reclaimed, oldest first. */
  private readonly regions: Region[] = [];
  private head = 0;
  private idle: NodeJS.Timeout | undefined;

  constructor(
    private readonly bytes: number,
    private readonly idleMs = IDLE_MS,
  ) {}

  take(size: number): Buffer | undefined {
    if (size === 0 || size > this.bytes / 2) return undefined;
    const offset = this.room(size);
    if (offset === undefined) return undefined;
    clearTimeout(this.idle);
    this.memory ??= Buffer.allocUnsafeSlow(this.bytes);
    const region: Region = { offset, end: offset + size, returned: false };
    this.regions.push(region);
    this.head = region.end;
    return lend(this.memory.subarray(offset, region.end), () => this.reclaim(region));
  }

  /** Where `size` bytes fit in one piece from the head on, wrapping to the start when the end is too near. */
  private room(size: number): number | undefined {
    const oldest = this.regions[0];
    if (!oldest) return (this.head = 0);
    const tail = oldest.offset;
    if (this.head > tail) {
      if (this.bytes - this.head >= size) return this.head;
      return tail >= size ? 0 : undefined;
    }
    return tail - this.head >= size ? this.head : undefined;
  }

  private reclaim(region: Region): void {
    region.returned = true;
    while (this.regions[0]?.returned) this.regions.shift();
    if (this.regions.length > 0) return;
    this.idle = setTimeout(() => {
      if (this.regions.length === 0) this.memory = undefined;
    }, this.idleMs);
    this.idle.unref();
  }
}
