import { isFinalLine, isPositionLine, lineSeq } from '../protocol/job-events.ts';
import type { Engine } from '../core/engine-port.ts';
import type { EventRange } from '../core/ports/jobs.ts';

/** What a replay starts from, told before its first line. */
export interface Replay {
  range: EventRange;
  /** The consumer's numbers still hold: it gets exactly the events after its seq. */
  recovered: boolean;
  /** The seq the replay continues after (the current epoch's start when not recovered). */
  afterSeq: number;
  /** Events after `afterSeq` and before `range.firstSeq` are no longer kept (the log's bound). */
  gap: boolean;
}

interface Feed {
  lastSeq: number;
  /** Live lines that arrived while the replay was being read; sent after it. */
  buffer: string[] | null;
  /** The final event went out; later copies (a replay and the live stream can both carry it) are dropped. */
  done?: boolean;
}

/** How long a finished feed is remembered, to drop a late live copy of its final event. */
const DONE_MEMORY_MS = 30_000;
/** And at most this many per connection (a burst of jobs followed by silence must not pin them all). */
const DONE_MEMORY_MAX = 10_000;

/**
 * Delivers each job's events to one consumer exactly once and in seq order: a replay from the log
 * is stitched to the live stream by seq, whichever arrives first. One instance per connection.
 */
export class JobFeeds {
  private readonly feeds = new Map<string, Feed>();
  /** Finished feeds in the order they finished, forgotten DONE_MEMORY_MS later (no timer per job). */
  private finished: Array<{ jobId: string; feed: Feed; at: number }> = [];
  /** How many at the front of `finished` are already forgotten. */
  private forgotten = 0;

  /**
   * @param send delivers one line to the consumer.
   * @param room for long replays: undefined while the consumer has buffer room, else a promise
   *   that settles once it has drained, so a replay never overruns the slow-consumer limit itself.
   */
  constructor(
    private readonly send: (jobId: string, line: string) => void,
    private readonly room: () => Promise<void> | undefined = () => undefined,
  ) {}

  /** A live line from the router. Lines of jobs with no feed (space/all topics) pass straight through. */
  onLive(jobId: string, line: string): void {
    const feed = this.feeds.get(jobId);
    if (!feed) {
      this.send(jobId, line);
      return;
    }
    if (feed.done) return;
    if (feed.buffer) feed.buffer.push(line);
    else this.emit(jobId, feed, line);
  }

  /**
   * A job about to be submitted under this id: its live lines are held from now on, until
   * `begin` gives its first event — a quick worker's `started` may arrive before the submit's
   * reply says the job exists.
   */
  expect(jobId: string): void {
    this.feeds.set(jobId, { lastSeq: 0, buffer: [] });
  }

  /** The expected job was made, `first` its first event: sent, then what was held behind it; then live. */
  begin(jobId: string, first: string): void {
    const feed = this.feeds.get(jobId);
    if (!feed?.buffer) return;
    const held = feed.buffer;
    feed.buffer = null;
    this.emit(jobId, feed, first);
    for (const line of held) this.emit(jobId, feed, line);
  }

  /**
   * Replays events after `afterSeq`, then switches to live. Call after subscribing to the job on
   * the router, so nothing falls between the two; where the bus sends a job's events only to the
   * instances following it, this one follows it before the log is read. A resume is exact or says it is not: when the
   * numbers the consumer has may mean other events now (`epoch` is not the log's, or `afterSeq` is
   * past its end: a restart lost them), the replay is of the current epoch instead (the current
   * attempt) and `opened` says `recovered: false`. `opened` runs before any line is sent.
   */
  async replay(engine: Engine, jobId: string, afterSeq: number, epoch: number | undefined, opened: (replay: Replay) => void): Promise<EventRange | null> {
    const feed: Feed = { lastSeq: afterSeq, buffer: [] };
    this.feeds.set(jobId, feed);
    let range: EventRange | null;
    let from = afterSeq;
    let recovered = true;
    try {
      // Its live events reach this instance (ports/bus.ts follow) before its log is read.
      if (engine.follow) await engine.follow(jobId);
      // A running job's events come at once (the embedded engine): no turn waited for them.
      const read = engine.readEvents(jobId, afterSeq);
      range = read instanceof Promise ? await read : read;
      // Nothing to continue from 0; otherwise the numbers hold only in the epoch they came from (1 unless told).
      if (range && afterSeq > 0 && ((epoch ?? 1) !== range.epoch || afterSeq > range.lastSeq)) {
        recovered = false;
        from = feed.lastSeq = range.epochSeq - 1;
        const again = engine.readEvents(jobId, from);
        range = again instanceof Promise ? await again : again;
      }
    } catch (err) {
      this.feeds.delete(jobId);
      throw err;
    }
    if (!range) {
      this.feeds.delete(jobId);
      return null;
    }
    opened({ range, recovered, afterSeq: from, gap: range.firstSeq > from + 1 });
    // (A wait only where the consumer has no room: most replays are a line or two into an empty buffer.)
    for (const line of range.lines) {
      const wait = this.paced(jobId, feed, line); // live lines collect in feed.buffer meanwhile
      if (wait) await wait;
    }
    // Then what arrived live during the replay, paced the same way (a job still streaming can add a
    // lot), until nothing is waiting; from then on live lines go straight out.
    while (feed.buffer && feed.buffer.length > 0) {
      const wait = this.paced(jobId, feed, feed.buffer.shift()!);
      if (wait) await wait;
    }
    feed.buffer = null;
    return range;
  }

  /** Sends a line; then, while the consumer has no room, a promise of when it has (undefined: go on). */
  private paced(jobId: string, feed: Feed, line: string): Promise<void> | undefined {
    this.emit(jobId, feed, line);
    return this.room();
  }

  forget(jobId: string): void {
    this.feeds.delete(jobId);
  }

  private emit(jobId: string, feed: Feed, line: string): void {
    if (this.feeds.get(jobId) !== feed || feed.done) return;
    // A position update is live state with no seq: it goes out in its place among the events.
    if (isPositionLine(line)) return this.send(jobId, line);
    const seq = lineSeq(line);
    if (seq <= feed.lastSeq) return;
    feed.lastSeq = seq;
    this.send(jobId, line);
    if (isFinalLine(line)) {
      feed.done = true;
      const now = Date.now();
      this.finished.push({ jobId, feed, at: now });
      this.forgetFinishedBefore(now - DONE_MEMORY_MS);
    }
  }

  private forgetFinishedBefore(time: number): void {
    let n = this.forgotten;
    while (n < this.finished.length && (this.finished[n]!.at <= time || this.finished.length - n > DONE_MEMORY_MAX)) {
      const { jobId, feed } = this.finished[n]!;
      if (this.feeds.get(jobId) === feed) this.feeds.delete(jobId);
      n++;
    }
    this.forgotten = n;
    // Cut the forgotten front off only once it is half the list: at the cap, one job finishing
    // forgets one, and cutting one off each time moved all 10,000 entries per job.
    if (n > 0 && n * 2 >= this.finished.length) {
      this.finished.splice(0, n);
      this.forgotten = 0;
    }
  }
}
