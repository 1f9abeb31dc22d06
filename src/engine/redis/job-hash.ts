import { eventLine, type JobEvent } from '../../protocol/job-events.ts';
import type { Job, JobState } from '../../core/types.ts';

/**
 * How a Job lives in a Redis hash: what never changes as one JSON `body`, what the Lua scripts
 * change as plain fields (so they never decode JSON).
 */
const MUTABLE = ['state', 'attempt', 'worker_id', 'lease_expires', 'started_at', 'finished_at', 'result', 'error', 'epoch', 'epoch_seq'] as const;

export function jobBody(job: Job): string {
  const body: Record<string, unknown> = { ...job };
  for (const field of MUTABLE) delete body[field];
  return JSON.stringify(body);
}

/** HGETALL's flat [field, value, …] (or ioredis's object) back into a Job. */
export function jobFromHash(hash: string[] | Record<string, string>): Job | null {
  const h = Array.isArray(hash) ? fieldsOf(hash) : hash;
  if (!h.body) return null;
  const job = JSON.parse(h.body) as Job;
  job.state = h.state as JobState;
  job.attempt = Number(h.attempt ?? 0);
  if (h.worker_id) job.worker_id = h.worker_id;
  if (h.lease_expires) job.lease_expires = Number(h.lease_expires);
  if (h.started_at) job.started_at = Number(h.started_at);
  if (h.finished_at) job.finished_at = Number(h.finished_at);
  if (h.result) job.result = JSON.parse(h.result);
  if (h.error) job.error = JSON.parse(h.error);
  if (h.epoch) job.epoch = Number(h.epoch);
  if (h.epoch_seq) job.epoch_seq = Number(h.epoch_seq);
  return job;
}

/** HGETALL's flat reply as an object — a plain loop: every claim and assignment passes here. */
function fieldsOf(flat: string[]): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) h[flat[i]!] = flat[i + 1]!;
  return h;
}

/** Numbers no real event carries, marking where the script puts the seq and the position. */
const SEQ_MARK = 987_654_321_987;
const POSITION_MARK = 876_543_219_876;

/** An event line split around its seq: the script joins `head .. seq .. tail`. */
export function lineAroundSeq(jobId: string, event: JobEvent): [string, string] {
  return splitAt(eventLine(jobId, SEQ_MARK, event), String(SEQ_MARK));
}

/** The first event (seq 1) split around its queue position, which the script knows. */
export function lineAroundPosition(jobId: string, firstEvent: (position: number) => JobEvent): [string, string] {
  return splitAt(eventLine(jobId, 1, firstEvent(POSITION_MARK)), String(POSITION_MARK));
}

function splitAt(line: string, mark: string): [string, string] {
  const at = line.indexOf(mark);
  if (at < 0) throw new Error(`event line has no ${mark} to fill in`);
  return [line.slice(0, at), line.slice(at + mark.length)];
}

/** What a final event records on the job, as the embedded engine records it. */
export function finalRecord(event: JobEvent, result?: unknown): { result: string; error: string } {
  switch (event.type) {
    case 'result':
      return { result: JSON.stringify(result ?? { data: event.data, files: [] }), error: '' };
    case 'failed':
      return { result: '', error: JSON.stringify({ code: event.code, message: event.message }) };
    case 'timed_out':
      return { result: '', error: JSON.stringify({ code: 'timed_out', message: event.message }) };
    case 'cancelled':
      return { result: '', error: JSON.stringify({ code: 'cancelled', message: event.reason }) };
    default:
      return { result: '', error: '' };
  }
}
