import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { moduleFile, nodeArgsFor } from '../../runtime/module-file.ts';
import { applySegment, type Segment } from './journal-segment.ts';
import type { SqliteStore } from './sqlite-store.ts';

const SCRIPT = moduleFile(import.meta.dirname, 'store-process');

interface Waiting {
  segment: Segment;
  done: (err?: unknown) => void;
}

/**
 * Gets the job journal's segments into SQLite, strictly in the order given. With a checkpoint
 * interval it does so from the store's own process (store-process.ts), which also checkpoints the
 * WAL: a segment is tens of milliseconds of jobs, and applying it on the event loop stalled every
 * round trip that fell in those milliseconds. Without one, or once that process is gone, it
 * applies them here. A segment that fails stays on disk and blocks the ones after it (applying
 * them first could leave a job's older row over its newer one); the next `apply` or `retry` tries
 * again, and a restart applies whatever is left.
 */
export class SegmentApplier {
  private child: ChildProcess | null = null;
  /** Sent to the child and not yet answered, in order. */
  private sent: Waiting[] = [];
  /** Waiting to be applied here, in order (the child is gone, or a segment failed). */
  private backlog: Waiting[] = [];
  /** Callers of `retry`, told when the backlog next empties or fails. */
  private retrying: Array<(err?: unknown) => void> = [];
  private stopping = false;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: SqliteStore,
    dbFile: string,
    checkpointIntervalMs: number,
    /** The child is gone for good: SQLite's own checkpoint must come back. */
    private readonly onLost: () => void = () => {},
  ) {
    if (checkpointIntervalMs > 0) this.startChild(dbFile, checkpointIntervalMs);
  }

  /** Resolves once SQLite has the segment, and every segment given before it. */
  apply(segment: Segment): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: unknown) => (err === undefined ? resolve() : reject(err));
      if (this.child && this.backlog.length === 0) {
        // The child reads the file; should it fail, so does the fallback here. Not keeping the
        // writes in memory meanwhile bounds what a slow child costs this process.
        this.sent.push({ segment: { file: segment.file }, done });
        this.child.stdin!.write(`${segment.file}\n`);
      } else {
        this.backlog.push({ segment, done });
        this.applyBacklog();
      }
    });
  }

  /** A segment failed: it and those behind it wait for `retry`. */
  get blocked(): boolean {
    return this.backlog.length > 0;
  }

  /** Tries a failed segment (and those behind it) again; resolves once none is left waiting. */
  retry(): Promise<void> {
    if (this.backlog.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.retrying.push((err) => (err === undefined ? resolve() : reject(err)));
      this.applyBacklog();
    });
  }

  /** Stops the child once it has answered for every segment sent to it. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.child?.stdin?.end();
    await this.exited;
  }

  private startChild(dbFile: string, intervalMs: number): void {
    const child = spawn(process.execPath, [...nodeArgsFor(SCRIPT), dbFile, String(intervalMs), String(process.pid)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    // Below the event loop: on a busy machine its work waits for the gateway's, never the reverse.
    try {
      if (child.pid !== undefined) setPriority(child.pid, 19);
    } catch {
      // Not allowed here: it runs at the gateway's priority.
    }
    child.stdin!.on('error', () => {}); // a dead child's pipe: its exit is what we act on
    createInterface({ input: child.stdout! }).on('line', (answer) => {
      if (answer === 'applied') return this.sent.shift()?.done();
      // The child exits after a failure, answering for nothing after it: what it was sent is
      // applied here from now on, in order, the failed segment first.
      this.detach();
      this.applyBacklog();
    });
    // A child that could not be started emits 'error' and never 'exit': either ends it, once.
    this.exited = new Promise((resolve) => {
      let over = false;
      const end = () => {
        if (over) return;
        over = true;
        this.detach();
        if (!this.stopping) this.onLost();
        this.applyBacklog();
        resolve();
      };
      child.once('exit', end);
      child.once('error', end);
    });
  }

  /** Stops sending to the child; what it has not answered for joins the backlog, in order. */
  private detach(): void {
    this.child = null;
    this.backlog.push(...this.sent.splice(0));
  }

  private applyBacklog(): void {
    while (this.backlog.length > 0) {
      const next = this.backlog[0]!;
      try {
        applySegment(next.segment, this.store);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          // It stays first, the others behind it: the next apply tries them again, in order.
          for (const w of this.backlog) w.done(err);
          for (const told of this.retrying.splice(0)) told(err);
          return;
        }
        // No file: it was applied and deleted before its answer could come back.
      }
      this.backlog.shift();
      next.done();
    }
    for (const told of this.retrying.splice(0)) told();
  }
}
