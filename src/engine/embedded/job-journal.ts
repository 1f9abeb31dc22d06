import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { JobRow } from './journal-records.ts';
import { SegmentWrites, type Segment } from './journal-segment.ts';

/**
 * The embedded engine's commit log. A job accepted, or ended, is durable once its writes are
 * appended here — one write(2) — and SQLite takes them later, a whole segment of the journal in
 * one transaction (see journal-segment.ts), from the store's own process when there is one.
 *
 * Why: a SQLite commit of one job touched five or so B-tree pages and wrote each to the WAL (two
 * pwrites a page and a dozen lock calls, ~23 system calls): 28% of the gateway's CPU in a profile
 * of round trips, all of it on the event loop. The guarantee is the one SQLite gave with `synchronous =
 * NORMAL`: what was written survives the process dying; an operating-system crash may lose the
 * last commits.
 *
 * The journal is a folder of numbered segments; the newest is being written, the others wait to
 * be applied and are deleted once SQLite has them. A segment's lines (JSON holds no raw tab or
 * newline, and ids hold neither):
 *   J <tab> id <tab> space id <tab> state <tab> rank <tab> created at <tab> finished at|"" <tab> job JSON
 *   E <tab> job id <tab> first seq <tab> count   followed by that many event lines, of consecutive seqs
 *   R <tab> job id <tab> first seq <tab> event line <tab> event line …   (as earlier versions wrote runs)
 *   T <tab> job id <tab> seq                     the job's events before seq are dropped
 *   C                                            end of a commit; lines after the last C are not applied
 * An E record's lines are copied from the job's event log as they are kept there (EventLog.runs):
 * the bytes of a run of events reach the disk without a string being made of them.
 */
export class JobJournal {
  private fd = -1;
  private segment = 0;
  /** Bytes in the current segment: where a failed write is cut back to, and whether rotating is worth it. */
  private size = 0;
  /** The commit being gathered, as text and bytes and as writes; null outside `commit`. */
  private gathering: { parts: Array<string | Uint8Array>; writes: Array<(to: SegmentWrites) => void> } | null = null;
  /** What the current segment holds, folded, for applying it without reading it back (when `fold`). */
  private writes = new SegmentWrites();

  /**
   * Numbers its segments after `after`, by default the highest segment in `dir` (those are the
   * caller's to apply first; one that has applied and deleted them says which was last, so no name
   * is given twice: a dead gateway's store process may still hold old names to apply and delete).
   * With `fold`, each segment comes with what it holds (rotate), for applying it here; without,
   * the store's process reads it from its file and nothing is kept.
   */
  constructor(
    private readonly dir: string,
    private readonly fold = true,
    after: string | undefined = JobJournal.segments(dir).at(-1),
  ) {
    this.segment = after ? segmentNumber(after) : 0;
    this.open();
  }

  /** The segment files in `dir` (made if missing), oldest first. */
  static segments(dir: string): string[] {
    mkdirSync(dir, { recursive: true });
    const names = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile() && /^\d+\.log$/.test(e.name));
    return names.map((e) => join(dir, e.name)).sort((a, b) => segmentNumber(a) - segmentNumber(b));
  }

  /** Runs `writes` (which call putJobRow, putRun and trimEvents here) and makes them durable together. */
  commit(writes: () => void): void {
    const gathering: NonNullable<JobJournal['gathering']> = { parts: [], writes: [] };
    this.gathering = gathering;
    try {
      writes();
    } finally {
      this.gathering = null;
    }
    if (gathering.parts.length === 0) return;
    gathering.parts.push('C\n');
    const bytes = Buffer.concat(gathering.parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    try {
      // At explicit offsets: after a failed write the file is cut back to `size`, and the next
      // commit must land there, not where the failed write left the file position (a gap of
      // zero bytes in front of it would make the segment unreadable).
      for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done, this.size + done);
    } catch (err) {
      ftruncateSync(this.fd, this.size); // no torn commit left in front of the next one
      throw err;
    }
    this.size += bytes.length;
    for (const w of gathering.writes) w(this.writes);
  }

  /**
   * Inside `commit`: runs one record's writes so that, if they throw, none of them joins the
   * commit and the others do — one job the journal cannot write fails alone (its caller gets the
   * error) instead of failing every job committed beside it. Returns what it threw, if anything.
   */
  attempt(write: () => void): unknown {
    const gathering = this.gathering;
    if (gathering === null) throw new Error('JobJournal: writes belong inside commit()');
    const parts = gathering.parts.length;
    const writes = gathering.writes.length;
    try {
      write();
      return undefined;
    } catch (err) {
      gathering.parts.length = parts;
      gathering.writes.length = writes;
      return err ?? new Error('a journal write threw');
    }
  }

  putJobRow(r: JobRow): void {
    this.add(`J\t${r.id}\t${r.space_id}\t${r.state}\t${r.rank}\t${r.created_at}\t${r.finished_at ?? ''}\t${r.body}\n`, (to) => to.putJobRow(r));
  }

  /** `count` events of a job from `firstSeq` on: their lines, each followed by a newline. */
  putRun(jobId: string, firstSeq: number, count: number, lines: Buffer): void {
    this.add(`E\t${jobId}\t${firstSeq}\t${count}\n`, (to) => {
      // The lines joined by newlines, as SQLite keeps a chunk: all but the last newline.
      to.putChunk({ jobId, first: firstSeq, last: firstSeq + count - 1, parts: [lines.toString('utf8', 0, lines.length - 1)] });
    });
    this.gathering!.parts.push(lines);
  }

  trimEvents(jobId: string, keepFromSeq: number): void {
    this.add(`T\t${jobId}\t${keepFromSeq}\n`, (to) => to.trimEvents(jobId, keepFromSeq));
  }

  /** Closes the current segment and starts the next; returns the closed one (for applying), or null if it was empty. */
  rotate(): Segment | null {
    if (this.size === 0) return null;
    const closed = this.fold ? { file: this.file(), writes: this.writes } : { file: this.file() };
    closeSync(this.fd);
    this.open();
    return closed;
  }

  /** Closes the file; an empty segment is removed (one with commits waits for the next start). */
  close(): void {
    closeSync(this.fd);
    if (this.size === 0) unlinkSync(this.file());
  }

  private add(text: string, write: (to: SegmentWrites) => void): void {
    if (this.gathering === null) throw new Error('JobJournal: writes belong inside commit()');
    this.gathering.parts.push(text);
    // Kept only where the segment is applied from them (fold); the store's process reads the file.
    if (this.fold) this.gathering.writes.push(write);
  }

  private file(): string {
    return join(this.dir, `${String(this.segment).padStart(8, '0')}.log`);
  }

  private open(): void {
    this.segment++;
    this.fd = openSync(this.file(), 'w');
    this.size = 0;
    this.writes = new SegmentWrites();
  }
}

const segmentNumber = (file: string) => Number(/(\d+)\.log$/.exec(file)![1]);
