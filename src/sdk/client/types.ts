import { FINAL_EVENT_STATE } from '../../protocol/job-events.ts';

/** What the client SDK sees on the wire (docs/protocol.md), typed for callers. */

export interface ResultFile {
  id: string;
  name: string;
  mime: string;
  size: number;
  url: string;
  /** The bytes, when the job's files are pushed (`pushFiles`) and the file was still held. */
  bytes?: Uint8Array;
}

interface EventBase {
  job: string;
  seq: number;
}

export type JobEvent =
  | (EventBase & { type: 'queued'; position: number; eta_ms: number | null; attempt: number; reason?: string })
  | (EventBase & { type: 'started'; attempt: number; worker: string })
  | (EventBase & { type: 'progress'; progress: number; message?: string })
  | (EventBase & { type: 'token'; text: string })
  | (EventBase & { type: 'partial'; data: unknown; files?: ResultFile[] })
  | (EventBase & { type: 'result'; data: unknown; files: ResultFile[] })
  | (EventBase & { type: 'failed'; code: string; message: string })
  | (EventBase & { type: 'cancelled'; reason: string })
  | (EventBase & { type: 'timed_out'; message: string });

/**
 * Not from the gateway: the SDK's own word that events were lost across a reconnect. `gap` means
 * events `after_seq+1 .. first_seq-1` are gone and the stream continues from `first_seq`; `lost`
 * means the job could not be recovered at all and its stream ends.
 */
export type RecoveryEvent = { type: 'gap'; job: string; after_seq: number; first_seq: number } | { type: 'lost'; job: string; code: string; message: string };

export type JobStreamEvent = JobEvent | RecoveryEvent;

/** The events after which a job's stream has nothing more: the gateway's final events, and the SDK's `lost`. */
export const FINAL_TYPES: ReadonlySet<string> = new Set([...Object.keys(FINAL_EVENT_STATE), 'lost']);

export interface SpaceStatus {
  type: 'space_status';
  space: string;
  description: string;
  inputs: unknown;
  access: string;
  connected: boolean;
  workers: number;
  slots: number;
  free_slots: number;
  queue_length: number;
}

/** A file to submit: sent as a binary frame, never base64. */
export interface FileInput {
  name: string;
  mime: string;
  data: Uint8Array | Blob;
  input?: 'image' | 'audio' | 'video' | 'files';
}

export interface SubmitInput {
  prompt?: string;
  options?: Record<string, unknown>;
  files?: FileInput[];
  /** Have the files of partial and result events pushed with them (`files[i].bytes`), no download needed. */
  pushFiles?: boolean;
}

/** An error the gateway answered with (docs/errors.md), or the SDK's `connection_lost`/`closed`. */
export class SpaceportError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'SpaceportError';
  }
}
