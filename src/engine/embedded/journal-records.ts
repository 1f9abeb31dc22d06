import type { Job } from '../../core/types.ts';

/** A job's row as SQLite keeps it: the columns its queries need, and the whole job as JSON. */
export interface JobRow {
  id: string;
  space_id: string;
  state: string;
  rank: number;
  created_at: number;
  finished_at: number | null;
  body: string;
}

export const jobRow = (job: Job, rank: number): JobRow => ({
  id: job.id,
  space_id: job.space_id,
  state: job.state,
  rank,
  created_at: job.created_at,
  finished_at: job.finished_at ?? null,
  body: JSON.stringify(job),
});

/** What SQLite takes of a job's writes: its events as chunks (runs of consecutive seqs, lines joined by "\n"). */
export interface StoreWrites {
  putJobRow(row: JobRow): void;
  putChunk(jobId: string, firstSeq: number, lastSeq: number, lines: string): void;
  trimEvents(jobId: string, keepFromSeq: number): void;
}
