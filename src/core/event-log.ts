/**
 * A job's event log in memory: serialised lines numbered from 1, bounded to `max` entries.
 * When full, the oldest tenth is dropped at once (amortised O(1) per append); a resume from
 * before `firstSeq` must then be told explicitly that events are gone.
 */
export class EventLog {
  private lines: string[] = [];
  /** Seq of lines[0]. */
  firstSeq = 1;

  constructor(
    private readonly max: number,
    restored: { lines: string[]; firstSeq: number } = { lines: [], firstSeq: 1 },
  ) {
    this.lines = restored.lines;
    this.firstSeq = restored.firstSeq;
  }

  get lastSeq(): number {
    return this.firstSeq + this.lines.length - 1;
  }

  get nextSeq(): number {
    return this.lastSeq + 1;
  }

  append(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) {
      const drop = Math.max(1, Math.floor(this.max / 10));
      this.lines.splice(0, drop);
      this.firstSeq += drop;
    }
  }

  /** Lines with seq > afterSeq that are still kept. */
  after(afterSeq: number): string[] {
    const start = Math.max(0, afterSeq + 1 - this.firstSeq);
    return start === 0 ? this.lines.slice() : this.lines.slice(start);
  }
}
