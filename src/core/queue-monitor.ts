import { systemClock, type Clock } from './clock.ts';
import type { Engine } from './engine-port.ts';
import type { JobService } from './job-service.ts';
import type { SpaceStatus, SpaceStatusMessage } from '../protocol/server-messages.ts';
import { EXACT_BELOW, movedRanges, positionStep } from './position-steps.ts';
import { positionLine } from '../protocol/job-events.ts';
import type { PositionUpdate, QueueMoves, QueueState } from './ports/jobs.ts';
import type { Space, WorkerInfo } from './types.ts';
import { servingSlots } from './space-slots.ts';

export type { SpaceStatus } from '../protocol/server-messages.ts';

export function spaceStatus(space: Space, workers: WorkerInfo[], queueLength: number): SpaceStatus {
  const serving = workers.filter((w) => w.space_ids.includes(space.id));
  const slots = serving.reduce((n, w) => n + servingSlots(w), 0);
  const busy = serving.reduce((n, w) => n + Math.min(w.running, servingSlots(w)), 0);
  return {
    space: space.name,
    description: space.description,
    inputs: space.inputs,
    access: space.access,
    connected: serving.length > 0,
    workers: serving.length,
    slots,
    free_slots: slots - busy,
    queue_length: queueLength,
  };
}

/** The status of every space (or of those `which` keeps), as /v1/spaces tells it: the workers read once, each queue's length. */
export async function spaceStatuses(engine: Engine, which: (space: Space) => boolean = () => true): Promise<SpaceStatus[]> {
  const [spaces, workers] = await Promise.all([engine.listSpaces(), engine.listWorkers()]);
  const out: SpaceStatus[] = [];
  for (const space of spaces.filter(which)) out.push(spaceStatus(space, workers, (await engine.queueState(space.id)).length));
  return out;
}

/**
 * The two parts of a queue, each looked at on its own cadence: the head, where every move is told,
 * at each refresh; the rest, whose steps are ten places or more, at most every fourth interval. A
 * queue drained faster than a step an interval would otherwise tell every job behind the head at
 * every refresh (5,000 jobs drained by one worker through two instances: ~32,000 updates, ~12,000
 * with the rest looked at less often).
 */
type Part = 'near' | 'far';
const PARTS: ReadonlyArray<{ part: Part; within: (length: number) => [number, number]; every: number }> = [
  { part: 'near', within: (length) => [0, Math.min(length, EXACT_BELOW)], every: 1 },
  { part: 'far', within: (length) => [EXACT_BELOW, length], every: 4 },
];

/** This instance's last look at a part of a queue. */
interface Look {
  /** The queue's movement counts then (QueueState); absent before the first. */
  seen?: QueueMoves;
  /** When (the clock's ms). */
  at: number;
}

/** What the monitor knows of one space's queue. */
interface Book {
  /** The position each queued job was last told (by this instance). */
  told: Map<string, number>;
  looks: Record<Part, Look>;
  /** Jobs placed where their clients were not told (a requeue, a delayed job joining): looked up at the next refresh. */
  placed: Set<string>;
}

/** A book holding this many more jobs than twice its queue is pruned by reading the queue whole. */
const SLACK = 1024;

/**
 * The most position updates told in one call to the engine, after which the event loop runs. Under
 * Redis one script tells them all, holding Redis for ~10 µs each (measured: 2.8 ms for 256, against
 * ~38 µs for a script telling one): 64 keep that hold under a millisecond, and a first look at a
 * long queue is told in many such steps, with submits and results between them.
 */
const TELL_AT_ONCE = 64;

/**
 * Pushes honest queue positions and space status when they change. Changes are coalesced per space
 * over `intervalMs`, so a burst of dispatches costs one refresh, not one per job per dispatch. A
 * refresh looks only where a job can have changed its step (position-steps.ts) since the last one,
 * from the queue's movement counts: O(log n) reads and pushes per change, not a pass over the queue.
 */
export class QueueMonitor {
  private readonly scheduled = new Set<string>();
  private readonly refreshing = new Set<string>();
  private readonly books = new Map<string, Book>();
  private readonly lastStatus = new Map<string, string>();
  private readonly timers = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly engine: Engine,
    private readonly jobs: JobService,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown, stage: string) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  touch(spaceId: string): void {
    if (this.closed || this.scheduled.has(spaceId)) return;
    this.scheduled.add(spaceId);
    const cancel = this.clock.after(this.intervalMs, () => {
      this.timers.delete(cancel);
      this.scheduled.delete(spaceId);
      // One refresh of a space at a time: a change during one is looked at after it.
      if (this.refreshing.has(spaceId)) return this.touch(spaceId);
      this.refreshing.add(spaceId);
      this.refresh(spaceId)
        .catch((err) => this.onError(err, 'queue-monitor'))
        .finally(() => this.refreshing.delete(spaceId));
    });
    this.timers.add(cancel);
  }

  changed(spaceId: string): void {
    this.touch(spaceId);
  }

  /** Records the position a job was told at submit, so it is not pushed again. */
  told(spaceId: string, jobId: string, position: number): void {
    this.book(spaceId).told.set(jobId, position);
  }

  /** A job joined its queue where its client has not been told (a requeue, a delayed job joining): its position is pushed at the next refresh. */
  placed(spaceId: string, jobId: string): void {
    this.book(spaceId).placed.add(jobId);
    this.touch(spaceId);
  }

  async refresh(spaceId: string): Promise<void> {
    const space = await this.engine.getSpaceById(spaceId);
    if (!space) return void this.books.delete(spaceId);
    const [queue, workers] = await Promise.all([this.engine.queueState(spaceId), this.engine.listWorkers()]);
    const status = spaceStatus(space, workers, queue.length);
    const line = JSON.stringify({ type: 'space_status', ...status } satisfies SpaceStatusMessage);
    if (this.lastStatus.get(spaceId) !== line) {
      this.lastStatus.set(spaceId, line);
      this.jobs.control({ op: 'status', space: spaceId, line });
    }
    const book = this.book(spaceId);
    // Refreshes start at least an interval apart (touch), so a part's cadence counts from their starts.
    const now = this.clock.now();
    const moved: Array<[string, number]> = [];
    let readWhole = false;
    for (const part of PARTS) {
      const since = await this.lookAt(spaceId, book, queue, part, now);
      // A whole read (below) covered every part.
      if (since === null || readWhole) continue;
      const read = await this.movedSince(spaceId, book, queue, since, part.within(queue.length));
      readWhole = read.whole;
      moved.push(...read.moved);
    }
    moved.push(...(await this.placedSinceLastLook(spaceId, book)));
    await this.tell(spaceId, book, moved, status.slots);
  }

  /**
   * Whether a part of the queue is looked at in this refresh, and since which counts: null when it
   * has not moved since its last look, is not due yet (looked at within its cadence: a later refresh
   * will be), or another instance tells its moves (where instances claim the telling: Redis); else
   * the counts since which its moves are worked out — this instance's last look, or the counts told
   * up to by any instance — undefined when none are known.
   */
  private async lookAt(spaceId: string, book: Book, queue: QueueState, { part, every }: (typeof PARTS)[number], now: number): Promise<QueueMoves | undefined | null> {
    const look = book.looks[part];
    const counts = { departures: queue.departures, insertionsAhead: queue.insertionsAhead };
    const before = look.seen;
    if (before && before.departures === counts.departures && before.insertionsAhead === counts.insertionsAhead) return null;
    const everyMs = this.intervalMs * every;
    if (before && now - look.at < everyMs) {
      this.touch(spaceId);
      return null;
    }
    const claim = this.engine.claimPositionTelling ? await this.engine.claimPositionTelling(spaceId, counts.departures, counts.insertionsAhead, everyMs, part) : {};
    if (claim === 'later') {
      // Another instance told this part's moves less than its cadence ago: these wait for the next look.
      this.touch(spaceId);
      return null;
    }
    Object.assign(look, { seen: counts, at: now });
    // Null: another instance watching this queue tells these moves; here they are only noted.
    return claim && (claim.toldUpTo ?? before);
  }

  /**
   * The jobs (with their positions now) that can have changed step since the counts `since`: those
   * in movedRanges of the moves since then, `within` a part of the queue. A first look (or counts
   * that went back: the space was made anew) reads the whole queue once; so does a book grown to
   * twice the queue with jobs that have left it, which prunes it (amortised over the jobs told
   * meanwhile).
   */
  private async movedSince(spaceId: string, book: Book, queue: QueueState, since: QueueMoves | undefined, within: [number, number]): Promise<{ moved: Array<[string, number]>; whole: boolean }> {
    const departures = queue.departures - (since?.departures ?? 0);
    const insertionsAhead = queue.insertionsAhead - (since?.insertionsAhead ?? 0);
    const whole = !since || departures < 0 || insertionsAhead < 0 || book.told.size > 2 * queue.length + SLACK;
    const ranges = whole ? [[0, queue.length] as [number, number]] : movedRanges(queue.length, departures, insertionsAhead, within);
    const toldBefore = whole ? [...book.told.keys()] : []; // not those told while the queue is read
    const read = await Promise.all(ranges.map(([start, end]) => this.engine.queuedJobIds(spaceId, start, end)));
    const queued = new Set(whole ? read[0] : []);
    for (const id of toldBefore) if (!queued.has(id)) book.told.delete(id);
    return { moved: read.flatMap((ids, r) => ids.map((id, i): [string, number] => [id, ranges[r]![0] + i])), whole };
  }

  /** The jobs placed since the last look (placed()), with their positions now: told whatever they were told before. */
  private async placedSinceLastLook(spaceId: string, book: Book): Promise<Array<[string, number]>> {
    const placed = [...book.placed];
    book.placed.clear();
    const out: Array<[string, number]> = [];
    for (const id of placed) {
      book.told.delete(id);
      out.push([id, await this.engine.queuePosition(spaceId, id)]);
    }
    return out;
  }

  /**
   * Pushes each job still queued whose step changed since it was last told: TELL_AT_ONCE updates in
   * each call to the engine (one round trip under Redis for all of them), the event loop served
   * between calls.
   */
  private async tell(spaceId: string, book: Book, moved: Array<[string, number]>, slots: number): Promise<void> {
    const estimate = this.jobs.estimate(spaceId);
    let updates: PositionUpdate[] = [];
    const send = async () => {
      // Refused unless still queued: no need to read the jobs first.
      const told = this.engine.tellPositions(spaceId, updates);
      updates = [];
      if (told instanceof Promise) await told;
    };
    for (const [id, position] of moved) {
      const told = book.told.get(id);
      if (position < 0 || (told !== undefined && positionStep(told) === positionStep(position))) continue;
      book.told.set(id, position);
      updates.push({ id, position, line: positionLine(id, position, estimate.etaMs(position, slots)) });
      if (updates.length === TELL_AT_ONCE) {
        await send();
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (updates.length > 0) await send();
  }

  /**
   * The position line of a job still in its queue, for a client that subscribed to it or resumed
   * it: position updates are not in the log, so its replay ends with the place it had at submit.
   */
  async currentLine(jobId: string): Promise<string | null> {
    const job = await this.engine.getJob(jobId);
    if (job?.state !== 'queued') return null;
    const position = await this.engine.queuePosition(job.space_id, jobId);
    if (position < 0) return null; // waiting for its time (not_before), or taken meanwhile
    // The slots a submit's ETA counts (read at most once a second), not every worker per resume.
    const slotsNow = this.jobs.slots.of(job.space_id);
    const slots = slotsNow instanceof Promise ? await slotsNow : slotsNow;
    return positionLine(jobId, position, this.jobs.estimate(job.space_id).etaMs(position, slots));
  }

  private book(spaceId: string): Book {
    let book = this.books.get(spaceId);
    if (!book) this.books.set(spaceId, (book = { told: new Map(), looks: { near: { at: 0 }, far: { at: 0 } }, placed: new Set() }));
    return book;
  }

  close(): void {
    this.closed = true;
    for (const cancel of this.timers) cancel();
    this.timers.clear();
  }
}
