import type { JobState } from './types.ts';

/** What core reports for metrics; the server implements it with prom-client. Every method is cheap. */
export interface Telemetry {
  jobStarted(space: string, queueWaitMs: number): void;
  firstToken(space: string, sinceSubmitMs: number): void;
  jobEnded(space: string, state: JobState, runMs: number | null): void;
  /** A background failure (sweeper, bus, delivery) that was caught and isolated. */
  backgroundError(err: unknown, stage: string): void;
}

export const silentTelemetry: Telemetry = {
  jobStarted() {},
  firstToken() {},
  jobEnded() {},
  backgroundError() {},
};
