import { FINAL_EVENT_STATE, type OutputFile } from '../../protocol/job-events.ts';
import type { JobEventMessage, PositionMessage, SpaceStatusMessage } from '../../protocol/server-messages.ts';

/** What the client SDK sees on the wire (docs/protocol.md): the gateway's own types (protocol/), as callers get them. */

export interface ResultFile extends OutputFile {
  /** The bytes, when the job's files are pushed (`pushFiles`) and the file was still held. */
  bytes?: Uint8Array;
}

export type JobEvent = JobEventMessage<ResultFile>;

/**
 * Not from the gateway: the SDK's own word that events were lost across a reconnect. `gap` means
 * events `after_seq+1 .. first_seq-1` are gone and the stream continues from `first_seq`; `lost`
 * means the job could not be recovered at all and its stream ends.
 */
export type RecoveryEvent =
  | { type: 'gap'; job: string; after_seq: number; first_seq: number }
  | { type: 'lost'; job: string; code: string; message: string }
  /**
   * What this client had of the job no longer holds (the gateway restarted and lost events, or the
   * job was requeued while the client was away): the events that follow are the current attempt
   * from its start, in the job's `epoch`. Whatever was built from the earlier events is replaced.
   */
  | { type: 'reset'; job: string; epoch: number };

/** A queued job's new place and wait (live, no seq; docs/protocol.md). */
export type JobPosition = PositionMessage;

export type JobStreamEvent = JobEvent | JobPosition | RecoveryEvent;

/** The events after which a job's stream has nothing more: the gateway's final events, and the SDK's `lost`. */
export const FINAL_TYPES: ReadonlySet<string> = new Set([...Object.keys(FINAL_EVENT_STATE), 'lost']);

export type SpaceStatus = SpaceStatusMessage;

/**
 * A file to submit: its bytes, sent as a binary frame (never base64), or a blob already uploaded
 * (`client.upload`, resumable for large files), named by id.
 */
export type FileInput = { name: string; mime: string; input?: 'image' | 'audio' | 'video' | 'files' } & ({ data: Uint8Array | Blob } | { blob: string });

export interface SubmitInput {
  prompt?: string;
  options?: Record<string, unknown>;
  files?: FileInput[];
  /** Have the files of partial and result events pushed with them (`files[i].bytes`), no download needed. */
  pushFiles?: boolean;
  /**
   * The submit's idempotency key (1–255 visible ASCII characters). Made up when not given: either
   * way a submit cut off by a dropped connection is sent again with it once reconnected, and the
   * gateway answers with the job it made the first time, if it did — never two jobs.
   */
  idempotencyKey?: string;
  /** -1000..1000, higher first, up to what these credentials may ask for (docs/queue.md); 0 when absent. */
  priority?: number;
  /** Not before this time: the job waits outside the queue until then, at most a day ahead (docs/queue.md). */
  notBefore?: Date | string;
  /** Where the gateway POSTs this job's start and end, signed (docs/webhooks.md); default events: its end. */
  webhook?: { url: string; events?: Array<'started' | 'progress' | 'completed' | 'failed' | 'cancelled' | 'timed_out'> };
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
