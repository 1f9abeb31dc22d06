import type { Engine } from '../../src/core/engine-port.ts';
import type { JobRef } from '../../src/core/ports/jobs.ts';
import type { Job, Space } from '../../src/core/types.ts';
import type { JobEvent } from '../../src/protocol/job-events.ts';

/**
 * What a contract suite is given: a fresh, isolated engine, and (when the engine is durable) a new
 * engine over the same storage.
 */
export type MakeEngine = () => Promise<{
  engine: Engine;
  reopen?: () => Promise<Engine>;
  /** A shared engine (Redis): another instance reopening keeps the leases other instances hold. */
  leasesSurviveReopen?: boolean;
}>;

/** Waits until `done()` holds (bus messages arrive on their own time). */
export async function until(done: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !done(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() > deadline) throw new Error('timed out');
  }
}

export const space = (n: string, over: Partial<Space> = {}): Space => ({
  id: `space_${n}_${Math.random().toString(36).slice(2, 8)}`,
  name: n,
  description: '',
  inputs: { prompt: { max_bytes: 100, mime: [] } },
  timeout_s: 60,
  max_queue: 3,
  max_attempts: 2,
  access: 'public',
  created_at: 1,
  updated_at: 1,
  ...over,
});

let made = 0;
export const job = (s: Space, over: Partial<Job> = {}): Job => ({
  // Ordered by when they were made, as the gateway's time-ordered ids are (listJobs pages by id).
  id: `job_${String(++made).padStart(8, '0')}${Math.random().toString(36).slice(2)}`,
  space_id: s.id,
  space: s.name,
  owner: { kind: 'user', id: `user_${made}`, name: 'someone' },
  state: 'queued',
  attempt: 0,
  max_attempts: s.max_attempts,
  inputs: { files: [] },
  created_at: Date.now(),
  deadline: Date.now() + 60_000,
  ...over,
});

export const ref = (j: Job): JobRef => ({ id: j.id, spaceId: j.space_id, ownerId: j.owner.id });
export const queued = (position: number): JobEvent => ({ type: 'queued', position, eta_ms: null, attempt: 0 });
export const lost: JobEvent = { type: 'failed', code: 'worker_lost', message: 'lost' };
export const token = (text: string): JobEvent => ({ type: 'token', text });

/** A space of its own with one job in it, claimed by worker `w`: the job and its holder. */
export async function heldJob(engine: Engine, spaceName: string): Promise<{ j: Job; h: { workerId: string; attempt: number } }> {
  const s = space(spaceName);
  await engine.createSpace(s);
  const j = job(s);
  await engine.submitJob(j, 10, queued);
  await engine.claimJob([s.id], 'w', 60_000);
  return { j, h: { workerId: 'w', attempt: 1 } };
}

/** The seqs of a job's log, oldest first. */
export async function seqsOf(engine: Engine, jobId: string): Promise<number[]> {
  return (await engine.readEvents(jobId, 0))!.lines.map((l) => (JSON.parse(l) as { seq: number }).seq);
}

/** Everything the bus delivers of one job, as published: owner and parsed line. */
export function heardOf(engine: Engine, jobId: string): { events: Array<{ spaceId: string; ownerId: string; line: { seq: number; type: string; text?: string } }>; off: () => void } {
  const events: Array<{ spaceId: string; ownerId: string; line: { seq: number; type: string; text?: string } }> = [];
  const off = engine.subscribe({ message: () => {}, jobEvent: (spaceId, id, ownerId, line) => void (id === jobId && events.push({ spaceId, ownerId, line: JSON.parse(line) })) });
  return { events, off };
}
