import type { ActivityPart } from './telemetry.ts';

/**
 * What a connection can subscribe to: one job, one space (its status and the jobs in it the caller
 * may see), or everything the caller may see.
 */
export type Topic = { kind: 'job'; jobId: string } | { kind: 'space'; name: string } | { kind: 'all' };

export function parseTopic(text: string): Topic | null {
  if (text === 'all') return { kind: 'all' };
  if (text.startsWith('job:') && text.length > 4) return { kind: 'job', jobId: text.slice(4) };
  if (text.startsWith('space:') && text.length > 6) return { kind: 'space', name: text.slice(6) };
  return null;
}

/** Bus channels (see Engine.publish). */
export const CHANNEL = {
  /** Control messages between instances: JSON `ControlMessage`. */
  control: 'ctl',
} as const;

/** The control line that tells every instance's dispatcher a job of `spaceId` can be claimed (submitJob's `announce`). */
export const queuedControl = (spaceId: string): string => JSON.stringify({ op: 'queued', space: spaceId } satisfies ControlMessage);

export type ControlMessage =
  /** `n` jobs (absent: one) entered the queue of a space: instances with free local workers should claim. */
  | { op: 'queued'; space: string; n?: number }
  /** Tell the worker holding a job to stop (cancel or timeout). */
  | { op: 'cancel'; job: string; worker: string; reason: string }
  /** An admin drains, resumes or disconnects a worker: the instance serving it acts. */
  | { op: 'worker'; worker: string; action: 'drain' | 'undrain' | 'disconnect' }
  /** A job was not accepted after all (it could not be stored): a worker that took it meanwhile stops. */
  | { op: 'withdrawn'; job: string }
  /** A lease ran out: the instance serving that worker stops counting the job against its slots. */
  | { op: 'lost'; job: string; worker: string }
  /** Credentials stopped being valid (by the hashes of their secrets): sockets opened with them close. */
  | { op: 'revoked'; hashes: string[] }
  /** A space's status changed (workers, slots, queue): the line goes to its subscribers. */
  | { op: 'status'; space: string; line: string }
  /** A space was created, changed or deleted (`public` undefined): whether anyone may watch its jobs. */
  | { op: 'space'; space: string; public?: boolean }
  /** An instance's view of its spaces' last interval (server/space-activity.ts): every instance merges it into the charts. */
  | { op: 'activity'; t: number; parts: ActivityPart[] };
