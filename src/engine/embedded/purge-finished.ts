import type { JobState } from '../../core/types.ts';
import type { SqliteStore } from './sqlite-store.ts';

/**
 * Deletes the jobs that finished before `before` (with their events and blobs), a thousand at a
 * time with the event loop served between, so a day's backlog is not one long stall; `purged` is
 * told each slice. Answers how many.
 */
export async function purgeFinished(store: SqliteStore, before: number, removeBlob: (id: string) => Promise<void>, purged: (rows: Array<{ id: string; state: JobState }>) => void): Promise<number> {
  let count = 0;
  for (let rows = store.finishedBefore(before, 1000); rows.length > 0; rows = store.finishedBefore(before, 1000)) {
    for (const { id } of rows) for (const blob of store.deleteJob(id)) await removeBlob(blob);
    purged(rows);
    count += rows.length;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return count;
}
