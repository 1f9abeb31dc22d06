import { readFileSync, unlinkSync } from 'node:fs';
import type { EventRow, JobRow, JobWrites } from './job-journal.ts';

/**
 * What a segment of the job journal asks of SQLite, folded as it is written or read: a job
 * written twice is written once.
 */
export class SegmentWrites implements JobWrites {
  /** The last row of each job. */
  readonly jobs = new Map<string, JobRow>();
  /** Every event, in order (SQLite's putEvents makes each job's consecutive seqs one chunk). */
  readonly events: EventRow[] = [];
  /** Per job, the highest seq its events are trimmed to. */
  readonly trims = new Map<string, number>();

  putJobRow(row: JobRow): void {
    this.jobs.set(row.id, row);
  }
  putEvents(rows: EventRow[]): void {
    for (const row of rows) this.events.push(row);
  }
  trimEvents(jobId: string, keepFromSeq: number): void {
    this.trims.set(jobId, Math.max(this.trims.get(jobId) ?? 0, keepFromSeq));
  }

  /** Hands them to the store: rows, then events, then trims (which only ever drop older events). */
  applyTo(store: JobWrites): void {
    for (const row of this.jobs.values()) store.putJobRow(row);
    if (this.events.length > 0) store.putEvents(this.events);
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
  let from = 0;
  let commitStart = 0;
  const lines: string[] = [];
  while (from < text.length) {
    const end = text.indexOf('\n', from);
    if (end < 0) break; // a line cut short by a crash
    const line = text.slice(from, end);
    from = end + 1;
    if (line !== 'C') {
      lines.push(line);
      continue;
    }
    for (let i = commitStart; i < lines.length; i++) take(lines[i]!, out);
    commitStart = lines.length;
  }
  return out;
}

function take(line: string, out: SegmentWrites): void {
  const f = line.split('\t');
  if (f[0] === 'J') {
    // The body is the last field and JSON has no raw tabs, so split gave it whole.
    const [, id, space_id, state, rank, created, finished, body] = f as [string, string, string, string, string, string, string, string];
    out.putJobRow({ id, space_id, state, rank: Number(rank), created_at: Number(created), finished_at: finished === '' ? null : Number(finished), body });
  } else if (f[0] === 'E') {
    out.events.push([f[1]!, Number(f[2]), f[3]!]);
  } else if (f[0] === 'T') {
    out.trimEvents(f[1]!, Number(f[2]));
  } else {
    throw new Error(`job journal: a line of unknown kind: ${line.slice(0, 40)}`);
  }
}

/**
 * Applies a segment in one transaction — from memory when its writes are at hand, else read from
 * its file — then deletes the file. Applying is idempotent (rows are upserts, chunks are keyed by
 * their first seq), so a crash between the commit and the delete only applies it again on the
 * next start.
 */
export function applySegment(segment: Segment, store: JobWrites & { transaction(fn: () => void): void }): void {
  const writes = segment.writes ?? readSegment(readFileSync(segment.file, 'utf8'));
  store.transaction(() => writes.applyTo(store));
  unlinkSync(segment.file);
}
