/**
 * The order of a space's queue (docs/queue.md): higher priority first; within a priority, fair
 * share — each caller's jobs take consecutive rounds, a newcomer's first job the round being
 * dispatched now, so a caller with one job waits for at most one job of each other caller, not for
 * their backlog — or, under the `fifo` policy, one round per job in arrival order. A requeued job
 * takes a round before every other of its priority (the head). Ties keep arrival order.
 *
 * A job's place is one number, its rank (lower first): what the embedded engine keeps and sorts
 * by, and the score of the Redis engine's sorted set (scripts.ts computes the same formula), exact
 * in a double for every priority and any round below 2^40.
 */

import { PRIORITY_LIMIT } from '../protocol/queue-fields.ts';

export { PRIORITY_LIMIT };
const ROUNDS = 2 ** 40;

export const queueRank = (priority: number, round: number): number => (PRIORITY_LIMIT - priority) * ROUNDS + round;

/** A rank as stored: those stored before priorities (plain arrival numbers, |rank| < 2^40) are priority 0's. */
export const storedRank = (rank: number): number => (Math.abs(rank) < ROUNDS ? queueRank(0, rank) : rank);

const roundOf = (rank: number, priority: number): number => rank - (PRIORITY_LIMIT - priority) * ROUNDS;

/** What fair share needs of a job: its priority, the caller it shares by (absent: fifo), and that caller's weight. */
export interface QueuedJob {
  space_id: string;
  priority?: number | undefined;
  fair_by?: string | undefined;
  /** How many of its caller's jobs share one round (absent: 1). */
  fair_weight?: number | undefined;
}

interface SpaceRounds {
  /** The round of the last job taken: a caller with nothing waiting joins here. */
  dispatched: number;
  /** Per caller with jobs waiting: how many, the round of the last one to join, and how many of theirs are in that round. */
  callers: Map<string, { waiting: number; last: number; inLast: number }>;
}

/**
 * Fair share's bookkeeping for an engine that keeps its queues in this process (the embedded one,
 * and the tests' memory engine); the Redis engine keeps the same in a hash per space. Each method
 * is told what happened to a queued job and answers ranks.
 */
export class QueueRounds {
  private readonly spaces = new Map<string, SpaceRounds>();
  /** Arrival order: the fifo policy's rounds, and (negated) the heads requeues take. */
  private arrivals = 0;

  /** The rank of a job joining the queue. */
  join(job: QueuedJob): number {
    const priority = job.priority ?? 0;
    if (job.fair_by === undefined) return queueRank(priority, ++this.arrivals);
    const space = this.space(job.space_id);
    const caller = space.callers.get(job.fair_by);
    // A caller of weight w puts w jobs in each round before the next.
    const same = caller !== undefined && caller.inLast < (job.fair_weight ?? 1);
    const round = caller ? (same ? caller.last : caller.last + 1) : space.dispatched;
    space.callers.set(job.fair_by, { waiting: (caller?.waiting ?? 0) + 1, last: round, inLast: same ? caller!.inLast + 1 : 1 });
    return queueRank(priority, round);
  }

  /** The rank of a job going back to the head (a requeue). */
  rejoin(job: QueuedJob): number {
    if (job.fair_by !== undefined) {
      const space = this.space(job.space_id);
      const caller = space.callers.get(job.fair_by);
      space.callers.set(job.fair_by, { waiting: (caller?.waiting ?? 0) + 1, last: caller?.last ?? space.dispatched, inLast: caller?.inLast ?? 1 });
    }
    return queueRank(job.priority ?? 0, -++this.arrivals);
  }

  /** A job at `rank` was taken by a worker. */
  taken(job: QueuedJob, rank: number): void {
    if (job.fair_by === undefined) return;
    const space = this.space(job.space_id);
    space.dispatched = Math.max(space.dispatched, roundOf(rank, job.priority ?? 0));
    this.left(job);
  }

  /** A job left the queue without being taken (cancelled, timed out). */
  left(job: QueuedJob): void {
    if (job.fair_by === undefined) return;
    const callers = this.space(job.space_id).callers;
    const caller = callers.get(job.fair_by);
    if (caller && --caller.waiting <= 0) callers.delete(job.fair_by);
  }

  /** A queued job found at start, at its stored rank. */
  restore(job: QueuedJob, rank: number): void {
    const round = roundOf(rank, job.priority ?? 0);
    this.arrivals = Math.max(this.arrivals, Math.abs(round));
    if (job.fair_by === undefined) return;
    const known = this.spaces.has(job.space_id);
    const space = this.space(job.space_id);
    const caller = space.callers.get(job.fair_by);
    const last = Math.max(caller?.last ?? round, round);
    const inLast = caller && caller.last === last ? caller.inLast + (round === last ? 1 : 0) : 1;
    space.callers.set(job.fair_by, { waiting: (caller?.waiting ?? 0) + 1, last, inLast });
    // Nothing says which round was being dispatched; the lowest waiting is where it stood.
    if (round >= 0) space.dispatched = known ? Math.min(space.dispatched, round) : round;
  }

  dropSpace(spaceId: string): void {
    this.spaces.delete(spaceId);
  }

  private space(spaceId: string): SpaceRounds {
    let space = this.spaces.get(spaceId);
    if (!space) this.spaces.set(spaceId, (space = { dispatched: 0, callers: new Map() }));
    return space;
  }
}
