import { QueueRounds, type QueuedJob } from '../../core/queue-order.ts';
import type { JobStore, QueueState } from '../../core/ports/jobs.ts';
import { RankedQueue } from './ranked-queue.ts';

/** A job waiting for its time: a retry after its backoff, or a submit asked for later. */
type Waiting = QueuedJob & { id: string; attempt: number; not_before?: number | undefined };

/** A space's queue and how often it has moved (QueueState). */
interface Queue {
  order: RankedQueue;
  departures: number;
  insertionsAhead: number;
}

/**
 * Per-space queues of job ids in the order of core/queue-order.ts: each id at its rank (lower goes
 * first; equal ranks keep arrival order), which the fair-share rounds give it; every operation
 * O(log n) in the queue's length (ranked-queue.ts). The ranks are persisted with the jobs, so the
 * order survives a restart.
 */
export class SpaceQueues {
  private readonly queues = new Map<string, Queue>();
  /** What fair share needs of each queued job, by id. */
  private readonly queued = new Map<string, QueuedJob>();
  private readonly rounds = new QueueRounds();
  /** Jobs waiting out a backoff before they join their queue (Job.not_before), by id, and in the order they are due. */
  private readonly waiting = new Map<string, Waiting>();
  private readonly waitingUntil = new RankedQueue();

  /** A new job joins its space's queue: its rank, and where that put it. */
  join(job: QueuedJob & { id: string }): { rank: number; position: number } {
    const rank = this.rounds.join(job);
    return { rank, position: this.insert(job, rank) };
  }

  /**
   * A new job: it joins its queue, or — asked for later (`not_before`) — waits for its time: its
   * rank (0 while it waits) and its position (while it waits, the queue's length).
   */
  enter(job: Waiting): { rank: number; position: number } {
    if (job.not_before === undefined) return this.join(job);
    this.wait(job);
    return { rank: 0, position: this.length(job.space_id) };
  }

  /** A requeued job goes back, at the head of its priority; its new rank. */
  rejoin(job: QueuedJob & { id: string }): number {
    const rank = this.rounds.rejoin(job);
    this.insert(job, rank);
    return rank;
  }

  /** A queued job found at start, at its stored rank. */
  restore(job: QueuedJob & { id: string }, rank: number): void {
    this.rounds.restore(job, rank);
    this.insert(job, rank);
  }

  /** A job that joins its queue at `job.not_before`, not before (promoteDue). */
  wait(job: Waiting): void {
    this.waiting.set(job.id, job);
    this.waitingUntil.join(job.id, job.not_before ?? 0);
  }

  /** The waiting jobs due at `now` join their queues — a retry at the head of its priority, a delayed submit as a new job — each with its new rank. */
  due(now: number): Array<{ id: string; spaceId: string; rank: number }> {
    const out = [];
    // Only those due: a sweep costs what joins, not what waits (a day of jobs for later).
    for (const id of this.waitingUntil.upTo(now, Infinity)) {
      const job = this.waiting.get(id)!;
      this.waiting.delete(id);
      this.waitingUntil.leave(id);
      out.push({ id: job.id, spaceId: job.space_id, rank: job.attempt === 0 ? this.join(job).rank : this.rejoin(job) });
    }
    return out;
  }

  /** A job leaves the queue (or its wait) without being taken (cancelled, timed out, not accepted after all). */
  remove(spaceId: string, id: string): void {
    if (this.waiting.delete(id)) return void this.waitingUntil.leave(id);
    const job = this.queued.get(id);
    if (!job || !this.leave(spaceId, id)) return;
    this.rounds.left(job);
  }

  length(spaceId: string): number {
    return this.queues.get(spaceId)?.order.length ?? 0;
  }

  /** The ids at positions `start` up to `end` (not included), head first. */
  ids(spaceId: string, start?: number, end?: number): string[] {
    return this.queues.get(spaceId)?.order.slice(start, end) ?? [];
  }

  position(spaceId: string, id: string): number {
    return this.queues.get(spaceId)?.order.position(id) ?? -1;
  }

  state(spaceId: string): QueueState {
    const queue = this.queues.get(spaceId);
    return { length: queue?.order.length ?? 0, departures: queue?.departures ?? 0, insertionsAhead: queue?.insertionsAhead ?? 0 };
  }

  /** The engine port's reads of the queues. */
  reads(): Pick<JobStore, 'queuedJobIds' | 'queuePosition' | 'queueState'> {
    return {
      queuedJobIds: async (spaceId, start, end) => this.ids(spaceId, start, end),
      queuePosition: async (spaceId, id) => this.position(spaceId, id),
      queueState: async (spaceId) => this.state(spaceId),
    };
  }

  /** Takes the head with the lowest rank among these spaces' queues. */
  takeHead(spaceIds: string[]): string | null {
    let best: { id: string; rank: number; spaceId: string } | undefined;
    for (const spaceId of spaceIds) {
      const head = this.queues.get(spaceId)?.order.head();
      if (head && (!best || head.rank < best.rank)) best = { ...head, spaceId };
    }
    if (!best) return null;
    const job = this.queued.get(best.id)!;
    this.leave(best.spaceId, best.id);
    this.rounds.taken(job, best.rank);
    return best.id;
  }

  dropSpace(spaceId: string): void {
    for (const id of this.ids(spaceId)) this.queued.delete(id);
    this.queues.delete(spaceId);
    for (const job of this.waiting.values()) if (job.space_id === spaceId) this.remove(spaceId, job.id);
    this.rounds.dropSpace(spaceId);
  }

  /** Places the job at its rank, after every job of an equal rank (restores may come in any order); answers where. */
  private insert(job: QueuedJob & { id: string }, rank: number): number {
    let queue = this.queues.get(job.space_id);
    if (!queue) this.queues.set(job.space_id, (queue = { order: new RankedQueue(), departures: 0, insertionsAhead: 0 }));
    this.queued.set(job.id, job);
    const position = queue.order.join(job.id, rank);
    if (position < queue.order.length - 1) queue.insertionsAhead++;
    return position;
  }

  private leave(spaceId: string, id: string): boolean {
    const queue = this.queues.get(spaceId);
    if (!queue || queue.order.leave(id) < 0) return false;
    this.queued.delete(id);
    queue.departures++;
    return true;
  }
}
