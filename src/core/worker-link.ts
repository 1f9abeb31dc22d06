import type { JobEvent } from '../protocol/job-events.ts';
import type { Job, JobResult, StoredFile } from './types.ts';

/** A job a local worker holds, with what the hot path needs to publish its events without a lookup. */
export interface HeldJob {
  id: string;
  /** The holder, with `attempt`: the LeaseHolder the engine checks each event against. */
  workerId: string;
  attempt: number;
  spaceId: string;
  ownerId: string;
  createdAt: number;
  startedAt?: number;
  sawToken: boolean;
  /** The job names a webhook of its own. */
  webhook?: boolean;
  /** The job's trace context (JobInputs.traceparent), for the span of its life. */
  traceparent?: string | undefined;
  /** A cancel (or timeout) was sent; the slot frees when the worker acknowledges or after a grace period. */
  cancelling: boolean;
  /**
   * How many of the worker's numbered messages about this attempt (`n`: 1, 2, …) were taken: the
   * next must be this plus one (docs/protocol.md, re-attach). Undefined: not counted (a re-attach
   * to an attempt claimed before engines counted its events).
   */
  received?: number;
  /** How much output (tokens' text, events' data as JSON, in characters) the attempt sent here: held to `maxJobOutputBytes`. */
  output: number;
}

/** A job as `workerId` holds it from the moment it claims it: no token seen, no cancel sent. */
export function heldJob(job: Job, workerId: string): HeldJob {
  return {
    id: job.id,
    workerId,
    attempt: job.attempt,
    spaceId: job.space_id,
    ownerId: job.owner.id,
    createdAt: job.created_at,
    sawToken: false,
    cancelling: false,
    received: 0,
    output: 0,
    traceparent: job.inputs.traceparent,
    ...(job.webhook && { webhook: true }),
  };
}

/** A worker's final event with its next claim riding on it (Dispatcher.claimAhead). */
export interface ClaimAhead {
  /** Appends the event (true: it was) and hands the job claimed with it to the worker. */
  finish(held: HeldJob, event: JobEvent, result: JobResult | undefined): Promise<boolean>;
}

export interface JobFile {
  file: StoredFile;
  bytes: Buffer;
}

/**
 * A worker connected to THIS instance, as the dispatcher sees it. The server's worker endpoint
 * implements the send side; the dispatcher owns the slot accounting (`held`, `reserved`).
 */
export interface WorkerLink {
  readonly id: string;
  readonly name: string;
  readonly spaceIds: string[];
  readonly slots: number;
  readonly connectedAt: number;
  draining: boolean;
  closed: boolean;
  /** A lease expired under this worker (no heartbeats): no new jobs until it heartbeats again. */
  silent: boolean;
  /** Slots taken by claims still in flight (so concurrent kicks never over-claim). */
  reserved: number;
  readonly held: Map<string, HeldJob>;
  sendJob(job: Job, files: JobFile[]): void;
  sendCancel(jobId: string, reason: string): void;
  /** Tells the worker it is draining (an admin asked) — protocols without the notion may ignore it. */
  sendDraining(draining: boolean): void;
  /** Closes the connection (an admin asked); its held jobs are requeued as for any disconnect. */
  disconnect(reason: string): void;
}

export function freeSlots(link: WorkerLink): number {
  return link.closed || link.draining || link.silent ? 0 : link.slots - link.held.size - link.reserved;
}
