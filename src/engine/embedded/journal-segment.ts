import { readFileSync, unlinkSync } from 'node:fs';
import type { JobRow, StoreWrites } from './journal-records.ts';

/** A run of one job's events with consecutive seqs: SQLite keeps it as one row, the parts joined by "\n". */
export interface Chunk {
  jobId: string;
  first: number;
  last: number;
  /** Event lines, or runs of them already joined by "\n". */
  parts: string[];
}

/**
 * What a segment of the job journal asks of SQLite, folded as it is written or read: a job
 * written twice is written once, and a job's events in one chunk as far as their seqs run on.
 */
export class SegmentWrites {
  /** The last row of each job. */
  readonly jobs = new Map<string, JobRow>();
  /** Every event, in chunks in the order they began. */
  readonly chunks: Chunk[] = [];
  /** Per job, the highest seq its events are trimmed to. */
  readonly trims = new Map<string, number>();
  /** Each job's latest chunk, which the next run of its events may continue. */
  private readonly latest = new Map<string, Chunk>();

  putJobRow(row: JobRow): void {
    this.jobs.set(row.id, row);
  }
  putChunk(chunk: Chunk): void {
    const prev = this.latest.get(chunk.jobId);
    if (prev && prev.last + 1 === chunk.first) {
      prev.last = chunk.last;
      for (const part of chunk.parts) prev.parts.push(part);
      return;
    }
    const own = { ...chunk, parts: chunk.parts.slice() };
    this.latest.set(chunk.jobId, own);
    this.chunks.push(own);
  }
  trimEvents(jobId: string, keepFromSeq: number): void {
    this.trims.set(jobId, Math.max(this.trims.get(jobId) ?? 0, keepFromSeq));
  }

  /** Hands them to the store: rows, then chunks, then trims (which only ever drop older events). */
  applyTo(store: StoreWrites): void {
    for (const row of this.jobs.values()) store.putJobRow(row);
    for (const c of this.chunks) store.putChunk(c.jobId, c.first, c.last, c.parts.join('\n'));
    for (const [jobId, seq] of this.trims) store.trimEvents(jobId, seq);
  }
}

/** A closed segment: its file, and what it holds when the journal that wrote it is still at hand. */
export interface Segment {
  file: string;
  writes?: SegmentWrites;
}

/** Reads a segment's text (format: job-journal.ts); a commit torn by a crash (no closing C) is left out. */
export function readSegment(text: string): SegmentWrites {
  const out = new SegmentWrites();
  /** The records of the commit being read, applied at its C. */
  let records: Array<(to: SegmentWrites) => void> = [];
  let from = 0;
  while (from < text.length) {
    const end = text.indexOf('\n', from);
    if (end < 0) break; // a line cut short by a crash
    const line = text.slice(from, end);
    from = end + 1;
    if (line === 'C') {
      for (const r of records) r(out);
      records = [];
    } else if (line[0] === 'E') {
      // The run's lines follow the header: its chunk is their text, without the last newline.
      const [, jobId, first, count] = line.split('\t') as [string, string, string, string];
      let runEnd = from - 1;
      for (let n = Number(count); n > 0 && runEnd >= 0; n--) runEnd = text.indexOf('\n', runEnd + 1);
      if (runEnd < 0) break; // cut short by a crash
      const chunk = { jobId, first: Number(first), last: Number(first) + Number(count) - 1, parts: [text.slice(from, runEnd)] };
      records.push((to) => to.putChunk(chunk));
      from = runEnd + 1;
    } else {
      records.push((to) => take(line, to));
    }
  }
  return out;
}

function take(line: string, out: SegmentWrites): void {
  if (line[0] === 'R') return takeRun(line, out);
  const f = line.split('\t');
  if (f[0] === 'J') {
    // The body is the last field and JSON has no raw tabs, so split gave it whole.
    const [, id, space_id, state, rank, created, finished, body] = f as [string, string, string, string, string, string, string, string];
    out.putJobRow({ id, space_id, state, rank: Number(rank), created_at: Number(created), finished_at: finished === '' ? null : Number(finished), body });
  } else if (f[0] === 'T') {
    out.trimEvents(f[1]!, Number(f[2]));
  } else {
    throw new Error(`job journal: a line of unknown kind: ${line.slice(0, 40)}`);
  }
}

/**
 * A run of events as earlier versions wrote it: its lines hold no raw tab, so the tabs after the third field separate them, and
 * the chunk's text is the rest with each tab made a newline — no line is taken apart one by one
 * (a segment of a busy token stream has tens of thousands).
 */
function takeRun(line: string, out: SegmentWrites): void {
  const t1 = line.indexOf('\t', 2);
  const t2 = line.indexOf('\t', t1 + 1);
  const first = Number(line.slice(t1 + 1, t2));
  const events = line.slice(t2 + 1);
  let count = 1;
  for (let at = events.indexOf('\t'); at >= 0; at = events.indexOf('\t', at + 1)) count++;
  out.putChunk({ jobId: line.slice(2, t1), first, last: first + count - 1, parts: [events.replaceAll('\t', '\n')] });
}

/**
 * Applies a segment in one transaction — from memory when its writes are at hand, else read from
 * its file — then deletes the file. Applying is idempotent (rows are upserts, chunks are keyed by
 * their first seq), so a crash between the commit and the delete only applies it again on the
 * next start.
 */
export function applySegment(segment: Segment, store: StoreWrites & { transaction(fn: () => void): void }): void {
  const writes = segment.writes ?? readSegment(readFileSync(segment.file, 'utf8'));
  store.transaction(() => writes.applyTo(store));
  unlinkSync(segment.file);
}

/**
 * Applies a segment from its file as applySegment does, but only while `stillOurs()` holds, asked
 * with the write lock already taken (so its answer stands until the commit). False, and the file
 * left alone, when it does not: for the store's process, whose gateway may have died and been
 * replaced by one that has applied this segment and written newer rows since.
 */
export function applySegmentWhile(file: string, store: StoreWrites & { lockedTransaction(fn: () => void): void }, stillOurs: () => boolean): boolean {
  const writes = readSegment(readFileSync(file, 'utf8'));
  let applied = false;
  store.lockedTransaction(() => {
    if (!stillOurs()) return;
    writes.applyTo(store);
    applied = true;
  });
  if (applied) unlinkSync(file);
  return applied;
}
