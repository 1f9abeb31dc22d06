import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Whether the last process on a data directory stopped cleanly — everything it had flushed, as a
 * deploy's SIGTERM does — or died (kill -9, a power cut). A clean stop leaves a marker; the next
 * start takes it away at once, so a crash of that process is never taken for a clean stop.
 */
const marker = (dataDir: string) => join(dataDir, 'clean-stop');

/** True when the last stop was clean (and the marker is gone from now on). */
export function takeCleanStop(dataDir: string): boolean {
  if (!existsSync(marker(dataDir))) return false;
  unlinkSync(marker(dataDir));
  return true;
}

export function markCleanStop(dataDir: string): void {
  writeFileSync(marker(dataDir), `${new Date().toISOString()}\n`);
}
