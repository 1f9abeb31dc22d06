import type { EngineOptions } from '../../core/engine-port.ts';
import type { BlobOptions } from './embedded-blobs.ts';

/** How the embedded engine keeps its data (createEmbeddedEngine). */
export interface EmbeddedEngineOptions extends EngineOptions, BlobOptions {
  /** Directory holding spaceport.db and blobs/. Created if missing. */
  dataDir: string;
  /** How often buffered (non-final) events and job states join the job journal. @default 50 */
  flushIntervalMs?: number;
  /**
   * How often the journal's segment goes to SQLite (and whenever a read needs SQLite). Each time
   * wakes the store's process for a transaction: every 50 ms, that work on the machine's other core
   * showed in the dispatch round trip's p99 (docs/benchmarks.md). @default 1000
   */
  applyIntervalMs?: number;
  /**
   * Run the store's own process (store-process.ts), which applies the journal's segments to SQLite
   * and checkpoints the WAL this often, off the event loop. 0: both happen here (segments at each
   * flush, the checkpoint inside SQLite's commits). @default 0
   */
  checkpointIntervalMs?: number;
  /**
   * Memory for one running job's event log. Past it the oldest events, once in the journal, are
   * let go and read back from SQLite when a client resumes from before them. @default 8 MiB
   */
  maxEventBytesPerJob?: number;
  /** Told of trouble in the background (the journal not reaching SQLite). */
  warn?: (message: string) => void;
  /** After a clean stop, how long a job held by a worker waits for it to re-attach. @default 30_000 */
  restoredLeaseMs?: number;
}
