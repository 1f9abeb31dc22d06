import type { JobRef, LeaseHolder } from '../../core/ports/jobs.ts';

/** Sends one job's streamed events: resolves true when they were appended (and published), false when the holder lost the job. */
export type SendStream = (job: JobRef, holder: LeaseHolder, lines: string[], started: boolean) => Promise<boolean>;

interface Published {
  channel: string;
  messages: string[];
}

/** A job's streamed events taken from the turn (TurnBatch.take): sent by the taker, who settles them. */
export interface TakenStream {
  /** head1, tail1, head2, tail2, …: each event's line around its seq. */
  lines: string[];
  started: boolean;
  settle(kept: boolean): void;
  fail(err: unknown): void;
}

interface Streamed extends TakenStream {
  job: JobRef;
  holder: LeaseHolder;
  kept: Promise<boolean>;
}

/**
 * What one turn of the event loop sends to Redis besides its scripts, in the order it was made:
 * the control messages published (consecutive ones to a channel leave as one PUBLISH, joined by
 * newlines) and the workers' streamed events (a fast model's tokens come hundreds to a TCP read:
 * one job's events of the turn leave as one APPEND_STREAM call, which appends and publishes them —
 * one round trip and one PUBLISH for the lot, and one promise shared by all of them).
 *
 * A job's events join its open batch unless a message was published after that batch began (then
 * they start a new one), so subscribers see exactly the order things happened in. Anyone about to
 * run another script calls `flush()` first, so a result never overtakes the tokens before it.
 *
 * A turn that gathered nothing but workers' `started` events (one each, alone) leaves them for up
 * to `startedHoldMs`, not the turn's end: a worker says it started and, on a short job, its result
 * follows in a read or two; held, the two leave in one call (finishAndClaim takes the started), not
 * two. Anything else gathered meanwhile, or any script run, sends them at once.
 */
export class TurnBatch {
  private pending: Array<Published | Streamed> = [];
  /** The batches a job's next event may join: one per job attempt held here, so no key is built per event. */
  private open = new Map<LeaseHolder, Streamed>();
  private scheduled = false;
  /** Whether everything pending is a lone `started` (see the class). */
  private onlyStarteds = true;
  private hold: NodeJS.Timeout | undefined;

  constructor(
    private readonly sendPublish: (channel: string, payload: string) => void,
    private readonly sendStream: SendStream,
    private readonly startedHoldMs = 0,
  ) {}

  publish(channel: string, message: string): void {
    if (message.includes('\n')) throw new Error('a bus message must be a single line');
    const last = this.pending[this.pending.length - 1];
    if (last && 'channel' in last && last.channel === channel) last.messages.push(message);
    else {
      this.pending.push({ channel, messages: [message] });
      this.open.clear();
    }
    this.onlyStarteds = false;
    this.schedule();
  }

  stream(job: JobRef, holder: LeaseHolder, head: string, tail: string, started: boolean): Promise<boolean> {
    let batch = this.open.get(holder);
    if (!batch) {
      batch = newStreamed(job, holder);
      this.open.set(holder, batch);
      this.pending.push(batch);
    } else this.onlyStarteds = false;
    if (!started) this.onlyStarteds = false;
    batch.lines.push(head, tail);
    if (started) batch.started = true;
    this.schedule();
    return batch.kept;
  }

  /**
   * The holder's streamed events gathered this turn, taken out to go with its final event in one
   * call — when nothing was published after them (its batch is still open; other jobs' events
   * gathered after them may leave first: only each job's own order, and the order against
   * published messages, is kept).
   */
  take(holder: LeaseHolder): TakenStream | undefined {
    const batch = this.open.get(holder);
    if (!batch) return undefined;
    this.pending.splice(this.pending.lastIndexOf(batch), 1);
    this.open.delete(holder);
    return batch;
  }

  /** Sends everything gathered now (its commands are issued before the caller's next one). */
  flush(): void {
    this.scheduled = false;
    this.onlyStarteds = true;
    clearTimeout(this.hold);
    this.hold = undefined;
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    this.open.clear();
    for (const p of pending) {
      if ('channel' in p) this.sendPublish(p.channel, p.messages.join('\n'));
      else this.sendStream(p.job, p.holder, p.lines, p.started).then(p.settle, p.fail);
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    if (this.onlyStarteds && this.startedHoldMs > 0) {
      this.hold ??= setTimeout(() => this.flush(), this.startedHoldMs).unref();
      return;
    }
    this.scheduled = true;
    setImmediate(() => this.flush());
  }
}

/** The messages of one received PUBLISH. */
export function splitBatch(payload: string): string[] {
  return payload.split('\n');
}

function newStreamed(job: JobRef, holder: LeaseHolder): Streamed {
  let settle!: (kept: boolean) => void;
  let fail!: (err: unknown) => void;
  const kept = new Promise<boolean>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  return { job, holder, lines: [], started: false, kept, settle, fail };
}
