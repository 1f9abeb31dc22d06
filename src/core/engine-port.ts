import type { BlobStore } from './ports/blobs.ts';
import type { Bus } from './ports/bus.ts';
import type { DeliveryRecords } from './ports/deliveries.ts';
import type { JobStore } from './ports/jobs.ts';
import type { Records } from './ports/records.ts';

/**
 * An engine is one adapter of the ports (ports/): jobs, bus, blobs, records and webhook deliveries — the embedded
 * one (memory, a job journal, SQLite) or Redis (many gateway instances). Semantics shared by all
 * engines (dispatch, ETAs, timeouts, routing events to sockets) live above them in core/; an
 * engine only stores, orders and broadcasts. test/contract/ checks every member of every port
 * against every engine.
 */
export interface Engine extends JobStore, Bus, BlobStore, Records, DeliveryRecords {
  /** Unique per gateway process; recorded on workers so cancels reach the right instance. */
  readonly instanceId: string;
  /**
   * Set where the engine's state is in a server shared by every instance (Redis), so each call is a
   * round trip: a caller with calls in a row gains by sending the next before the last is
   * answered (a client's submits: server/ws/inbound.ts pipelines). Such an engine MUST carry out
   * its calls in the order they were made (one connection, in order), so a submit made before
   * another queues before it whatever their answers' timing. Unset where calls are answered
   * in this process: there, a submit begun before the last one ended only changed how the work
   * bunched up — 12% more CPU per job in the short-jobs benchmark.
   */
  readonly remote?: true;
  /** Flushes what is buffered and releases resources. MUST be idempotent. */
  close(): Promise<void>;
}

export interface EngineOptions {
  /** Most events kept per job; older ones are trimmed (a resume before them reports resume_gap). @default 10_000 */
  maxEventsPerJob?: number;
  /** How long a partial event's file is held for clients that replay it (putLiveBlob). @default 60_000 */
  liveMediaMs?: number;
}
