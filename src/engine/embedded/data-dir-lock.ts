import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One process per data directory. Two gateways on one directory would each keep their own view of
 * the queues and append to the same journal — silently losing and duplicating jobs — so the second
 * is refused at start with a message that says who holds it. The lock is a file holding the owner's
 * pid, made with O_EXCL; one left by a process that died (its pid no longer runs) is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(file);
        } catch {}
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && running(holder)) {
        throw new Error(`The data directory ${dataDir} is in use by another Spaceport process (pid ${holder}). Stop it, or give this one its own --data directory.`);
      }
      if (holder === process.pid) throw new Error(`The data directory ${dataDir} is already open in this process.`);
      unlinkSync(file); // left by a process that is gone
    }
  }
  throw new Error(`Could not lock the data directory ${dataDir}.`);
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}
