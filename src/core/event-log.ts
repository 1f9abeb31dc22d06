/** Lines are kept in pages: the first small (most jobs have a handful of events), each next one twice the last, up to this. */
const FIRST_PAGE_BYTES = 256;
const MAX_PAGE_BYTES = 64 * 1024;

interface Page {
  bytes: Buffer;
  /** Where each line ends in `bytes`, after its newline. */
  ends: number[];
  /** Index in `ends` of the first line still kept (the ones before it were dropped). */
  first: number;
}

/** Where line `i` of a page begins. */
const start = (page: Page, i: number): number => (i === 0 ? 0 : page.ends[i - 1]!);

/**
 * A job's event log in memory: serialised lines numbered from 1, bounded to `max` entries. When
 * full, the oldest tenth is forgotten at once (amortised O(1) per append): `keptFrom` moves on, and
 * a resume from before it must be told explicitly that events are gone. Memory is bounded in bytes
 * too (`shed`): the owner may let go of the oldest pages it has stored elsewhere, so `firstSeq`
 * (the first line held here) can be later than `keptFrom` (the first one that exists at all).
 *
 * The lines are kept as UTF-8, each followed by a newline, in pages outside the JS heap — not as
 * strings. A running job holds up to `max` of them; as strings every one outlived V8's young
 * generation (copied by a scavenge, then promoted) and the heap grew 130 bytes per token of a long
 * stream; as bytes, 27. Consecutive lines are consecutive bytes, so a run of them goes to the job
 * journal as one slice (`runs`).
 */
export class EventLog {
  private pages: Page[] = [];
  /** Lines held here. */
  private count = 0;
  /** Seq of the first line held here. */
  firstSeq = 1;
  /** Seq of the first line not forgotten (`max` bounds how many are kept, here or elsewhere). */
  keptFrom = 1;
  /** Bytes of the pages held. */
  bytes = 0;

  constructor(
    private readonly max: number,
    restored: { lines: string[]; firstSeq: number } = { lines: [], firstSeq: 1 },
  ) {
    this.firstSeq = restored.firstSeq;
    this.keptFrom = restored.firstSeq;
    for (const line of restored.lines) this.append(line);
  }

  get lastSeq(): number {
    return this.firstSeq + this.count - 1;
  }

  get nextSeq(): number {
    return this.lastSeq + 1;
  }

  append(line: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8; 1 more for the newline.
    const room = line.length * 3 + 1;
    let page = this.pages[this.pages.length - 1];
    const used = page?.ends[page.ends.length - 1] ?? 0;
    if (!page || page.bytes.length - used < room) {
      const size = Math.max(room, page ? Math.min(MAX_PAGE_BYTES, page.bytes.length * 2) : FIRST_PAGE_BYTES);
      page = { bytes: Buffer.allocUnsafeSlow(size), ends: [], first: 0 };
      this.pages.push(page);
      this.bytes += size;
    }
    let end = page.ends.length === 0 ? 0 : used;
    end += page.bytes.write(line, end, 'utf8');
    page.bytes[end++] = 10; // \n
    page.ends.push(end);
    this.count++;
    if (this.lastSeq - this.keptFrom + 1 > this.max) this.forget(Math.max(1, Math.floor(this.max / 10)));
  }

  /**
   * Lets go of the oldest whole pages, holding no line after `throughSeq` (what the owner has
   * stored elsewhere), until the pages held fit in `maxBytes` — or only the page being written is
   * left. Returns whether anything went.
   */
  shed(maxBytes: number, throughSeq: number): boolean {
    let shed = false;
    while (this.bytes > maxBytes && this.pages.length > 1) {
      const page = this.pages[0]!;
      const kept = page.ends.length - page.first;
      if (this.firstSeq + kept - 1 > throughSeq) break;
      this.pages.shift();
      this.bytes -= page.bytes.length;
      this.count -= kept;
      this.firstSeq += kept;
      shed = true;
    }
    return shed;
  }

  /** Lines with seq > afterSeq that are still kept. */
  after(afterSeq: number): string[] {
    const lines: string[] = [];
    this.forEachSpan(afterSeq + 1, (page, from, to) => {
      for (let i = from; i < to; i++) lines.push(page.bytes.toString('utf8', start(page, i), page.ends[i]! - 1));
    });
    return lines;
  }

  /**
   * The kept lines from `fromSeq` on, as runs of consecutive lines, each run the bytes of its
   * lines with a newline after every one (one run per page they span).
   */
  runs(fromSeq: number): Array<{ firstSeq: number; count: number; bytes: Buffer }> {
    const out: Array<{ firstSeq: number; count: number; bytes: Buffer }> = [];
    let seq = Math.max(fromSeq, this.firstSeq);
    this.forEachSpan(fromSeq, (page, from, to) => {
      out.push({ firstSeq: seq, count: to - from, bytes: page.bytes.subarray(start(page, from), page.ends[to - 1]) });
      seq += to - from;
    });
    return out;
  }

  /** Per page, the indexes [from, to) of the kept lines with seq ≥ fromSeq. */
  private forEachSpan(fromSeq: number, each: (page: Page, from: number, to: number) => void): void {
    let skip = Math.max(0, fromSeq - this.firstSeq);
    for (const page of this.pages) {
      const kept = page.ends.length - page.first;
      if (skip >= kept) {
        skip -= kept;
        continue;
      }
      each(page, page.first + skip, page.ends.length);
      skip = 0;
    }
  }

  /** The oldest `n` lines are gone for good: from here, and the owner trims them from its store. */
  private forget(n: number): void {
    this.keptFrom += n;
    if (this.firstSeq < this.keptFrom) this.drop(this.keptFrom - this.firstSeq);
  }

  private drop(n: number): void {
    this.count -= n;
    this.firstSeq += n;
    while (n > 0) {
      const page = this.pages[0]!;
      const kept = page.ends.length - page.first;
      if (n < kept) {
        page.first += n;
        return;
      }
      n -= kept;
      // A page emptied of kept lines goes, unless it is the one being written.
      if (this.pages.length > 1) {
        this.pages.shift();
        this.bytes -= page.bytes.length;
      } else page.first = page.ends.length;
    }
  }
}
