// The WAL checkpointer (see wal-checkpointer.ts): a process of its own that opens the gateway's
// SQLite file and folds the write-ahead log into the database every few milliseconds, so the
// gateway's event loop never stops for it. Exits when its parent closes its stdin (or dies).
// Usage: node checkpointer-process.mjs <db file> <interval ms>
import Database from 'libsql';

const [file, interval] = process.argv.slice(2);
const db = new Database(file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or interrupted: the next tick tries again.
  }
}, Number(interval));
process.stdin.on('end', () => {
  clearInterval(timer);
  db.close();
  process.exit(0);
});
process.stdin.resume();
