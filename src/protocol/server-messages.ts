import type { JobEvent, OutputFile } from './job-events.ts';
import type { InputKind } from './vocabulary.ts';

/**
 * What the gateway sends, as types: on `/v1/ws` to clients and on `/v1/worker` to workers
 * (docs/protocol.md). The gateway checks what it sends against these (`satisfies`), and the SDKs
 * read them through the same types, so the two ends cannot drift apart. (What clients and workers
 * send is in client-messages.ts and worker-messages.ts, as schemas: that side is untrusted input.)
 */

/** What a space accepts for one kind of input. `mime` entries may end in `/*`; an empty list allows any type. */
export interface InputRule {
  max_bytes: number;
  mime: string[];
}

export type SpaceInputs = Partial<Record<InputKind, InputRule>>;

export type SpaceAccess = 'public' | 'users';

/** A space as its callers see it: live status, pushed to subscribers of `space:<name>` and `all` when it changes. */
export interface SpaceStatus {
  space: string;
  description: string;
  inputs: SpaceInputs;
  access: SpaceAccess;
  connected: boolean;
  workers: number;
  slots: number;
  free_slots: number;
  queue_length: number;
}

/** An error frame; with `id` it answers that request. Codes are in errors.ts (docs/errors.md). */
export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
  id?: string | number | null;
  /** The job it concerns, where there is one (and `after_seq` / `first_seq` for resume_gap). */
  job?: string;
  after_seq?: number;
  first_seq?: number;
  [detail: string]: unknown;
}

/** A job's event as it travels: the event with its job and seq (one line of the job's log). */
export type JobEventMessage<F = OutputFile> = JobEvent<F> & { job: string; seq: number };

// ---- /v1/ws: gateway → client ----------------------------------------------------------------

export interface HelloMessage {
  type: 'hello';
  connection: string;
  protocol: 1;
  identity: { kind: string; name: string };
  limits: { max_message_bytes: number; max_blob_bytes: number; messages_per_second: number };
}

export interface AcceptedMessage {
  type: 'accepted';
  id: string | number | null | undefined;
  job: string;
  space: string;
  position: number;
  eta_ms: number | null;
  /** The submit's idempotency key was used before: this is that job (its events follow from seq 1). */
  existing?: true;
}

export interface AckMessage {
  type: 'ack';
  id: string | number | null | undefined;
  of: 'cancel' | 'subscribe' | 'unsubscribe' | 'resume';
  job?: string;
  topic?: string;
  /** For a job topic: the epoch of the job's log the events that follow belong to. */
  epoch?: number;
  /**
   * For a job topic: true when the events that follow continue exactly after the `after_seq` asked
   * for; false when those numbers no longer hold (another epoch: a requeue, a restart that lost
   * events) and what follows is the current attempt from its start.
   */
  recovered?: boolean;
}

export interface PongMessage {
  type: 'pong';
  id: string | number | null | undefined;
  time: string;
}

export type SpaceStatusMessage = { type: 'space_status' } & SpaceStatus;

/**
 * A queued job's new place (0: next) and wait, as the queue moves: live state, not an event of the
 * job's log — no `seq`, not replayed; a resume or subscribe of a queued job gets the current one
 * after the replay. Near the head every move is told, far back each change of the first two
 * digits (docs/queue.md#positions).
 */
export interface PositionMessage {
  type: 'position';
  job: string;
  position: number;
  eta_ms: number | null;
}

export type ClientBound = HelloMessage | AcceptedMessage | AckMessage | PongMessage | ErrorMessage | SpaceStatusMessage | PositionMessage | JobEventMessage;

// ---- /v1/worker: gateway → worker ------------------------------------------------------------

export interface RegisteredMessage {
  type: 'registered';
  worker: string;
  slots: number;
  heartbeat_ms: number;
  lease_ms: number;
  spaces: Array<{ id: string; name: string; inputs: SpaceInputs; timeout_s: number }>;
  /** Of the jobs a reconnecting worker named in `reattach`, the ones it holds again (it should stop the others). */
  reattached?: string[];
  /**
   * For each job in `reattached` whose events are counted: how many of the worker's numbered
   * messages about it the gateway has. Those after it (sent as the connection died) go again.
   */
  received?: Record<string, number>;
}

/** A file of a job, described here; its bytes follow as a binary frame `{ ref: job, index }`. */
export interface JobFileHeader {
  index: number;
  name: string;
  mime: string;
  size: number;
  input: Exclude<InputKind, 'prompt'>;
}

export interface JobMessage {
  type: 'job';
  job: string;
  space: string;
  attempt: number;
  /** The submitter's display name. */
  user: string;
  /** The submitter's stable id. */
  owner: string;
  prompt: string | null;
  options: Record<string, unknown>;
  /** ISO 8601. */
  deadline: string;
  files: JobFileHeader[];
  /** W3C trace context: the gateway's span of the submit, in the caller's trace (when there is one). */
  traceparent?: string;
}

export interface CancelMessage {
  type: 'cancel';
  job: string;
  reason: string;
}

export interface DrainingMessage {
  type: 'draining';
  draining: boolean;
  running: number;
  by?: 'admin';
}

export type WorkerBound = RegisteredMessage | JobMessage | CancelMessage | DrainingMessage | ErrorMessage;
