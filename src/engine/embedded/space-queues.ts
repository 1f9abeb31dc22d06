import { QueueRounds, type QueuedJob } from '../../core/queue-order.ts';

/** A job waiting for its time: a retry after its backoff, or a submit asked for later. */
type Waiting = QueuedJob & { id: string; attempt: number; not_before?: number | undefined };

interface Entry {
  id: string;
  rank: number;
  job: QueuedJob;
}

/**
 * Per-space queues of job ids in the order of core/queue-order.ts: each entry with its rank
 * (lower goes first; equal ranks keep arrival order), which the fair-share rounds give it. The
 * ranks are persisted with the jobs, so the order survives a restart.
 */
export class SpaceQueues {
  private readonly queues = new Map<string, Entry[]>();
  private readonly rounds = new QueueRounds();
  /** Jobs waiting out a backoff before they join their queue (Job.not_before), by id. */
  private readonly waiting = new Map<string, Waiting>();

  /** A new job joins its space's queue: its rank, and where that put it. */
  join(job: QueuedJob & { id: string }): { rank: number; position: number } {
    const rank = this.rounds.join(job);
    return { rank, position: this.insert({ id: job.id, rank, job }) };
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
    this.insert({ id: job.id, rank, job });
    return rank;
  }

  /** A queued job found at start, at its stored rank. */
  restore(job: QueuedJob & { id: string }, rank: number): void {
    this.rounds.restore(job, rank);
    this.insert({ id: job.id, rank, job });
  }

  /** A job that joins its queue at `job.not_before`, not before (promoteDue). */
  wait(job: Waiting): void {
    this.waiting.set(job.id, job);
  }

  /** The waiting jobs due at `now` join their queues — a retry at the head of its priority, a delayed submit as a new job — each with its new rank. */
  due(now: number): Array<{ id: string; spaceId: string; rank: number }> {
    const out = [];
    for (const job of this.waiting.values()) {
      if ((job.not_before ?? 0) > now) continue;
      this.waiting.delete(job.id);
      out.push({ id: job.id, spaceId: job.space_id, rank: job.attempt === 0 ? this.join(job).rank : this.rejoin(job) });
    }
    return out;
  }

  /** A job leaves the queue (or its wait) without being taken (cancelled, timed out, not accepted after all). */
  remove(spaceId: string, id: string): void {
    if (this.waiting.delete(id)) return;
    const queue = this.queues.get(spaceId);
    const index = queue?.findIndex((e) => e.id === id) ?? -1;
    if (index < 0) return;
    this.rounds.left(queue![index]!.job);
    queue!.splice(index, 1);
  }

  length(spaceId: string): number {
    return this.queues.get(spaceId)?.length ?? 0;
  }

  ids(spaceId: string): string[] {
    return (this.queues.get(spaceId) ?? []).map((e) => e.id);
  }

  position(spaceId: string, id: string): number {
    return this.queues.get(spaceId)?.findIndex((e) => e.id === id) ?? -1;
  }

  /** Takes the head with the lowest rank among these spaces' queues. */
  takeHead(spaceIds: string[]): string | null {
    let best: Entry[] | undefined;
    for (const spaceId of spaceIds) {
      const queue = this.queues.get(spaceId);
      if (queue?.length && (!best || queue[0]!.rank < best[0]!.rank)) best = queue;
    }
    const head = best?.shift();
    if (!head) return null;
    this.rounds.taken(head.job, head.rank);
    return head.id;
  }

  dropSpace(spaceId: string): void {
    this.queues.delete(spaceId);
    for (const job of this.waiting.values()) if (job.space_id === spaceId) this.waiting.delete(job.id);
    this.rounds.dropSpace(spaceId);
  }

  /**
   * Inserts keeping rank order, after every entry of an equal rank (restores may come in any
   * order); returns where. The common case — a submit behind everything — costs nothing to place.
   */
  private insert(entry: Entry): number {
    let queue = this.queues.get(entry.job.space_id);
    if (!queue) this.queues.set(entry.job.space_id, (queue = []));
    if (queue.length === 0 || queue[queue.length - 1]!.rank <= entry.rank) return queue.push(entry) - 1;
    if (queue[0]!.rank > entry.rank) return (queue.unshift(entry), 0);
    const at = queue.findIndex((e) => e.rank > entry.rank);
    queue.splice(at, 0, entry);
    return at;
  }
}
