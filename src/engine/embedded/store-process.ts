// The store's own process (see segment-applier.ts): opens the gateway's SQLite file, applies the job
// journal's segments it is told of, in order, and checkpoints the WAL every few milliseconds, so
// neither stops the gateway's event loop. Exits when its parent closes its stdin (or dies).
// Usage: node --import <ts loader> store-process.ts <db file> <checkpoint interval ms> <gateway pid>
// stdin: one segment file per line; stdout: "applied" per segment, in order, or "failed <message>"
// and an exit.
import { createInterface } from 'node:readline';
import { applySegmentWhile } from './journal-segment.ts';
import { SqliteStore } from './sqlite-store.ts';

const [file, interval, parent] = process.argv.slice(2) as [string, string, string];
const store = new SqliteStore(file);
store.autoCheckpoint(0);
const timer = setInterval(() => {
  try {
    store.checkpoint();
  } catch {
    // Busy or interrupted: the next tick tries again.
  }
}, Number(interval));

// Lines still buffered when the gateway dies are read after its death. By then the next gateway on
// this directory may have applied those segments itself and written newer rows over them: applying
// them now would put old rows back (a finished job as running again). So each is applied only while
// the parent that sent it lives, asked with the write lock held. (Its pid comes as an argument: read
// here, ppid could already be the reaper's if the parent died before this process ran at all.)
const gatewayLives = () => process.ppid === Number(parent);

const segments = createInterface({ input: process.stdin });
segments.on('line', (segment) => {
  try {
    if (!applySegmentWhile(segment, store, gatewayLives)) process.exit(0);
    process.stdout.write('applied\n');
  } catch (err) {
    // The gateway applies this segment and those after it itself, in order; nothing more here.
    // (Writes to a pipe are synchronous on Linux: the answer is out before the exit.)
    process.stdout.write(`failed ${String((err as Error).message).replace(/\n/g, ' ')}\n`);
    process.exit(1);
  }
});
segments.on('close', () => {
  clearInterval(timer);
  store.close();
  process.exit(0);
});
