import type { JobState } from './vocabulary.ts';

/** A file of a job's output (a result's or a partial's) as the wire tells it: where to fetch it. */
export interface OutputFile {
  id: string;
  name: string;
  mime: string;
  size: number;
  /** `/v1/blobs/<id>`. */
  url: string;
}

/**
 * The events of a job's log. On the wire each is one JSON object `{ type, job, seq, ...fields }`,
 * serialised once when appended and sent verbatim to every subscriber and on every replay.
 */
export type JobEvent<F = OutputFile> =
  | {
      type: 'queued';
      position: number;
      eta_ms: number | null;
      attempt: number;
      reason?: string;
      /** Set on the event that begins a new epoch of the job's log (a requeue): the numbers before it may not continue (see EventRange.epoch). */
      epoch?: number;
      /** A job submitted for later: it joins the queue then (ISO 8601); `position` is the queue's length now. */
      not_before?: string;
    }
  | {
      /**
       * The worker failed the attempt with a retryable error: the job waits `delay_ms` (the space's
       * backoff), then queues again at the head of its priority. Begins a new epoch, as a requeue does.
       */
      type: 'retry_scheduled';
      attempt: number;
      delay_ms: number;
      message: string;
      epoch?: number;
    }
  | { type: 'started'; attempt: number; worker: string }
  | { type: 'progress'; progress: number; message?: string }
  | { type: 'token'; text: string }
  | { type: 'partial'; data: unknown; files?: F[] }
  | { type: 'result'; data: unknown; files: F[] }
  | { type: 'failed'; code: string; message: string }
  | { type: 'cancelled'; reason: string }
  | { type: 'timed_out'; message: string };

export type JobEventType = JobEvent['type'];

/** The final events and the job state each one ends in. */
export const FINAL_EVENT_STATE: Partial<Record<JobEventType, JobState>> = {
  result: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  timed_out: 'timed_out',
};

/**
 * A worker's events before its job's end: `started`, then many tokens, progress and partials. An
 * engine whose every append is a round trip (Redis) gathers a turn's worth of them per job into one
 * append-and-publish step; anything else it appends waits for that step, so none overtakes another.
 */
export const STREAMED_TYPES: ReadonlySet<JobEventType> = new Set(['started', 'token', 'progress', 'partial']);

/** What a job was told of its place — `<attempt>:<position>` — so an engine can skip a position update that repeats it (JobStore.tellPosition). */
export const toldKey = (attempt: number, position: number): string => `${attempt}:${position}`;

/** What a `queued` event tells (toldKey); undefined for any other event. */
export function toldPosition(event: JobEvent): string | undefined {
  return event.type === 'queued' ? toldKey(event.attempt, event.position) : undefined;
}

export function isFinalEvent(event: JobEvent): boolean {
  return event.type in FINAL_EVENT_STATE;
}

/** Serialises an event with its job id and seq first, so logs read naturally. */
export function eventLine(jobId: string, seq: number, event: JobEvent): string {
  const { type, ...fields } = event;
  return JSON.stringify({ type, job: jobId, seq, ...fields });
}

/** A position update's line (server-messages.ts PositionMessage): type first, as an event's, so lineType reads it. */
export function positionLine(jobId: string, position: number, etaMs: number | null): string {
  return `{"type":"position","job":${JSON.stringify(jobId)},"position":${position},"eta_ms":${etaMs}}`;
}

/** Whether a line is a position update (no seq: not an event of the log). */
export function isPositionLine(line: string): boolean {
  return line.startsWith('position"', 9);
}

/** Reads the `type` of a serialised event without a full parse (it is always the first field). */
export function lineType(line: string): string {
  const end = line.indexOf('"', 9);
  return line.slice(9, end);
}

/** Whether a serialised event is a final one, without slicing out its type (asked of every token, several times). */
export function isFinalLine(line: string): boolean {
  switch (line.charCodeAt(9)) {
    case 114: // r
      return line.startsWith('result"', 9);
    case 102: // f
      return line.startsWith('failed"', 9);
    case 99: // c
      return line.startsWith('cancelled"', 9);
    case 116: // t
      return line.startsWith('timed_out"', 9);
    default:
      return false;
  }
}

/** Whether a serialised partial or result event names files (which a client may have pushed to it). */
export function lineHasFiles(line: string): boolean {
  return line.includes('"files":[{');
}

/**
 * The `text` of a serialised token event as its JSON string literal (quotes and escapes as they
 * are), read without parsing: text is a token's only field, so the last one (see eventLine).
 * For dialects that re-wrap each token in their own message.
 */
export function tokenTextLiteral(line: string): string {
  return line.slice(line.indexOf('"text":', 9) + 7, -1);
}

/** The seq of a serialised event, read without parsing the whole line. */
export function lineSeq(line: string): number {
  const at = line.indexOf('"seq":') + 6;
  let n = 0;
  for (let i = at; i < line.length; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return n;
}
