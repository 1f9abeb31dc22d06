import type { Histogram } from './duration-histogram.ts';
import type { JobState } from './types.ts';

/** Which job a report is about: what every job log line names. */
export interface JobTag {
  job: string;
  space: string;
  /** The worker holding it, once one does. */
  worker?: string | undefined;
  /** It names a webhook of its own (docs/webhooks.md): only then is the job read again to tell it. */
  webhook?: boolean | undefined;
}

/** A job's end, with what a log line, a histogram and a span of its life need. */
export interface JobEnd extends JobTag {
  state: JobState;
  attempt: number;
  createdAt: number;
  startedAt?: number | undefined;
  endedAt: number;
  /** A failure's code (`worker_error`, `worker_lost`). */
  code?: string | undefined;
  /** The trace context the job carries (JobInputs.traceparent), if any. */
  traceparent?: string | undefined;
}

/**
 * What one instance saw of one space in one interval of activity (server/space-activity.ts): the
 * queue and running jobs it read, the jobs that ended on it, and their wait and run times as
 * histograms (core/duration-histogram.ts) — told to every instance, which add them up.
 */
export interface ActivityPart {
  space: string;
  queued: number;
  running: number;
  completed: number;
  failed: number;
  wait: Histogram;
  run: Histogram;
}

/**
 * What core reports for metrics, logs and traces; the server implements it with prom-client, pino
 * and OpenTelemetry's API. Every method is cheap.
 */
export interface Telemetry {
  /**
   * A job is about to be stored. Returns the W3C traceparent it carries to its worker: the
   * gateway's own span of the submit, as a child of the caller's `parent` when there is one — or
   * `parent` as it came, when no tracing SDK records spans — or none.
   */
  traceSubmit(job: JobTag, parent: string | undefined): string | undefined;
  /** The job was accepted (stored and queued). */
  jobSubmitted(job: JobTag): void;
  jobStarted(job: JobTag, queueWaitMs: number): void;
  firstToken(space: string, sinceSubmitMs: number): void;
  /** Its worker reported progress (0..1, and what it is doing). */
  jobProgress(job: JobTag, progress: number, message: string | undefined): void;
  /** Its worker lost it (`reason`) and it went back to the queue. */
  jobRequeued(job: JobTag, reason: string): void;
  jobEnded(end: JobEnd): void;
  /** A background failure (sweeper, bus, delivery) that was caught and isolated. */
  backgroundError(err: unknown, stage: string): void;
}

export const silentTelemetry: Telemetry = {
  traceSubmit: (_job, parent) => parent,
  jobSubmitted() {},
  jobStarted() {},
  firstToken() {},
  jobProgress() {},
  jobRequeued() {},
  jobEnded() {},
  backgroundError() {},
};
