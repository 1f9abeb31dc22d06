import { spawn } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(import.meta.dirname, 'checkpointer-process.mjs');

export interface WalCheckpointer {
  /** Stops the process (the store's own close then folds in what is left). */
  stop(): Promise<void>;
}

/**
 * Runs the WAL checkpoint in a child process. SQLite's automatic checkpoint runs inside whichever
 * commit crosses the threshold — every ~1,000 pages, a few milliseconds with the event loop
 * stopped — and was nearly all of the gateway's p99 round trip. A second connection from another
 * process does the same work on the other core without stopping ours (WAL mode allows it). Timer
 * and worker-thread checkpointers were tried first: the first only moved the stall, the second
 * made libsql abort at exit. If the process dies, `onLost` puts the automatic checkpoint back.
 */
export function startWalCheckpointer(file: string, intervalMs: number, onLost: () => void): WalCheckpointer {
  const child = spawn(process.execPath, [SCRIPT, file, String(intervalMs)], { stdio: ['pipe', 'ignore', 'inherit'] });
  let stopping = false;
  // A child that could not be started emits 'error' and never 'exit': either ends it, once.
  const ended = new Promise<void>((resolve) => {
    let over = false;
    const end = () => {
      if (over) return;
      over = true;
      if (!stopping) onLost();
      resolve();
    };
    child.once('exit', end);
    child.once('error', end);
  });
  child.stdin!.on('error', () => {}); // a dead child's pipe: its exit is what we act on
  return {
    async stop() {
      stopping = true;
      child.stdin!.end();
      await ended;
    },
  };
}
