import { join } from 'node:path';
import { JobJournal } from './job-journal.ts';
import { applySegment } from './journal-segment.ts';
import { SegmentApplier } from './segment-applier.ts';
import { SqliteStore } from './sqlite-store.ts';
import { embeddedDeliveries } from './embedded-deliveries.ts';

/**
 * The embedded engine's storage in a data directory: SQLite, the job journal in front of it, and
 * what applies the one to the other (from the store's own process with a checkpoint interval).
 * What a process that died left in the journal reaches SQLite first, in order, before anything is
 * read from it.
 */
export function openStore(dataDir: string, checkpointIntervalMs: number) {
  const dbFile = join(dataDir, 'spaceport.db');
  const store = new SqliteStore(dbFile);
  const journalDir = join(dataDir, 'journal');
  const leftovers = JobJournal.segments(journalDir);
  for (const file of leftovers) applySegment({ file }, store);
  // With the store's own process, segments are read from their files there: nothing to keep here.
  // Numbered on from the leftovers: the dead process's store process may yet act on their names.
  const journal = new JobJournal(journalDir, !checkpointIntervalMs, leftovers.at(-1));
  const applier = new SegmentApplier(store, dbFile, checkpointIntervalMs, () => store.autoCheckpoint(1000));
  if (checkpointIntervalMs) store.autoCheckpoint(0);
  const { close: closeDeliveries, ...deliveries } = embeddedDeliveries(dbFile);
  /** Once what is buffered is flushed: the store's process has answered for all it was sent. */
  const close = async () => {
    await applier.stop();
    journal.close();
    closeDeliveries();
    store.close();
  };
  return { store, journal, applier, deliveries, close };
}
