/** The nouns of Spaceport (see shared/DESIGN.md). Plain data: persisted as JSON by every engine. */

import type { OutputFile } from '../protocol/job-events.ts';
import type { InputRule, SpaceAccess } from '../protocol/server-messages.ts';
import type { SpacePresentation } from '../protocol/space-presentation.ts';
import type { InputKind, JobState } from '../protocol/vocabulary.ts';

export type { InputRule, SpaceAccess } from '../protocol/server-messages.ts';

export { INPUT_KINDS, type InputKind } from '../protocol/vocabulary.ts';

/** A named inference endpoint; how it presents itself to people (output kind, options schema, examples) comes from space-presentation.ts. */
export interface Space extends SpacePresentation {
  id: string;
  name: string;
  description: string;
  /** Only the kinds present here are accepted. */
  inputs: Partial<Record<InputKind, InputRule>>;
  timeout_s: number;
  max_queue: number;
  max_attempts: number;
  access: SpaceAccess;
  /**
   * Whether a worker may register without a token, knowing only the space name (the WebSocket
   * Spaces guide's model, for trusted networks). Absent on spaces stored before it existed = false.
   */
  open_registration?: boolean;
  /**
   * Who may watch its jobs through topics (a space's, `all`, the frames dialect's `plugin_<name>`):
   * `public`, anyone who may see the space; `owner` (and when absent), the job's owner and admins.
   */
  visibility?: 'public' | 'owner';
  /**
   * How its queue is shared (docs/queue.md): `fair` (and when absent), round-robin between the
   * callers with jobs waiting; `fifo`, first come, first served. Priorities go first in both.
   */
  queue_policy?: 'fair' | 'fifo';
  /** A retryable worker error's backoff (core/space-rules.ts retryDelayMs): the first delay, and the longest. */
  retry_delay_ms?: number;
  retry_max_delay_ms?: number;
  /** Where its jobs' starts and ends are sent (docs/webhooks.md), which of them, and the secret they are signed with. */
  webhook_url?: string | null;
  webhook_events?: Array<'started' | 'progress' | 'completed' | 'failed' | 'cancelled' | 'timed_out'>;
  webhook_secret?: string;
  created_at: number;
  updated_at: number;
}

export type { JobState } from '../protocol/vocabulary.ts';

/** A file attached to a job or a result; the bytes live in the blob store under `blob`. */
export interface StoredFile {
  blob: string;
  name: string;
  mime: string;
  size: number;
  input: Exclude<InputKind, 'prompt'>;
}

export interface JobInputs {
  prompt?: string;
  options?: Record<string, unknown>;
  files: StoredFile[];
  /** W3C trace context handed to the worker: the gateway's submit span in the caller's trace. */
  traceparent?: string;
}

export interface JobResult {
  data?: unknown;
  files: StoredFile[];
}

/** Who did something: an admin, the holder of an API key, a signed-in user, or nobody in particular. */
export interface Identity {
  kind: 'admin' | 'key' | 'user' | 'anonymous';
  /**
   * Stable id used for ownership checks. Anonymous callers are told apart: by their signed visitor
   * cookie (browsers), else by client address.
   */
  id: string;
  /** Display name recorded on jobs and delivered to workers. */
  name: string;
  /** Anonymous callers: the key their budgets count under, by client address (core/budgets.ts). */
  budget?: string;
  /** An API key an admin bounded: the highest priority its jobs may ask for (else Budgets.maxPriority). */
  max_priority?: number;
  /** An API key an admin weighted: how many of its jobs share one round of fair share (else 1). */
  fair_weight?: number;
}

export interface Job {
  id: string;
  space_id: string;
  space: string;
  owner: Identity;
  state: JobState;
  /** How many times the job has been handed to a worker. */
  attempt: number;
  max_attempts: number;
  inputs: JobInputs;
  created_at: number;
  /** Absolute time (ms) after which the job ends as timed_out. */
  deadline: number;
  started_at?: number;
  finished_at?: number;
  worker_id?: string;
  lease_expires?: number;
  /** Set when a cancel was asked for while a worker held the job. */
  cancel_requested?: boolean;
  /**
   * Which run of numbers its event log is on (absent: 1). It changes whenever a seq could come to
   * mean another event than a client was told — a requeue (a new attempt), a restart that may have
   * lost events not yet on disk — so a resume is exact, or says it is not.
   */
  epoch?: number;
  /** The seq the current epoch began at (absent: 1). */
  epoch_seq?: number;
  /** The log's last seq when the current attempt was claimed: its worker's events follow it (a re-attach counts them from here). */
  attempt_seq?: number;
  result?: JobResult;
  error?: { code: string; message: string };
  /**
   * Set when the submit carried an idempotency key: `key` scopes it to its caller (a digest of the
   * caller and the key), `fingerprint` is a digest of what was asked, so the same key with another
   * request is told apart from a retry of this one.
   */
  idempotency?: { key: string; fingerprint: string };
  /** The job this one retries (POST /v1/jobs/{id}/retry): the same inputs, a new job. */
  retry_of?: string;
  /** Higher goes first (core/queue-order.ts); absent: 0. */
  priority?: number;
  /** Under the space's fair policy, the caller it shares the queue by (absent: first come, first served). */
  fair_by?: string;
  /** That caller's weight: how many of their jobs share one round (absent: 1). */
  fair_weight?: number;
  /** A queued job waiting out a retry's backoff: it joins its queue at this time (ms), not before. */
  not_before?: number;
  /** Where this job's own events are sent (docs/webhooks.md), besides its space's webhook. */
  webhook?: { url: string; events?: Array<'started' | 'progress' | 'completed' | 'failed' | 'cancelled' | 'timed_out'> | undefined };
}

/** What a client sees of a job (GET /v1/jobs/{id}). */
export function publicJob(job: Job): Record<string, unknown> {
  return {
    id: job.id,
    space: job.space,
    state: job.state,
    attempt: job.attempt,
    owner: job.owner.name,
    created_at: new Date(job.created_at).toISOString(),
    started_at: job.started_at ? new Date(job.started_at).toISOString() : null,
    finished_at: job.finished_at ? new Date(job.finished_at).toISOString() : null,
    result: job.result ? { data: job.result.data ?? null, files: job.result.files.map(publicFile) } : null,
    error: job.error ?? null,
    ...(job.retry_of && { retry_of: job.retry_of }),
  };
}

export function publicFile(file: StoredFile): OutputFile {
  return { id: file.blob, name: file.name, mime: file.mime, size: file.size, url: `/v1/blobs/${file.blob}` };
}

/** An image added to a session; the bytes are a blob. */
export interface SessionImage {
  blob: string;
  name: string;
  mime: string;
  size: number;
  added_at: number;
}

/**
 * A multi-step piece of work: inputs gathered over time (images, one message at a time), then
 * sealed into jobs of its space (each `generate` is one job over the images so far, or over the
 * ones added since the last one). Expires at `expires_at` with its images.
 */
export interface Session {
  id: string;
  space_id: string;
  space: string;
  owner: Identity;
  status: 'open' | 'finalized';
  created_at: number;
  expires_at: number;
  max_images: number;
  /** Passed to every job the session makes (e.g. process_res, num_max_points). */
  options: Record<string, unknown>;
  images: SessionImage[];
  /** How many images earlier generates covered: an incremental generate starts after them. */
  generated_through: number;
  job_ids: string[];
}

/** A connected worker as every gateway instance can see it. */
export interface WorkerInfo {
  id: string;
  name: string;
  space_ids: string[];
  slots: number;
  running: number;
  draining: boolean;
  connected_at: number;
  instance: string;
}
