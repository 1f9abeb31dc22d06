/**
 * Per-space FIFO queues of job ids, each entry with a rank: submits get increasing positive ranks,
 * requeues get decreasing negative ones, so a requeued job sorts before everything already queued
 * and the order survives a restart (the ranks are persisted with the jobs).
 */
export class SpaceQueues {
  private readonly queues = new Map<string, Array<{ id: string; rank: number }>>();
  private counter: number;

  constructor(highestRank: number) {
    this.counter = highestRank;
  }

  nextTailRank(): number {
    return ++this.counter;
  }

  nextHeadRank(): number {
    return -++this.counter;
  }

  /** Inserts keeping rank order (tail for submits, head for requeues; restores may come in any order). */
  insert(spaceId: string, id: string, rank: number): void {
    let queue = this.queues.get(spaceId);
    if (!queue) this.queues.set(spaceId, (queue = []));
    if (queue.length === 0 || queue[queue.length - 1]!.rank < rank) queue.push({ id, rank });
    else if (queue[0]!.rank > rank) queue.unshift({ id, rank });
    else
      queue.splice(
        queue.findIndex((e) => e.rank > rank),
        0,
        { id, rank },
      );
  }

  remove(spaceId: string, id: string): void {
    const queue = this.queues.get(spaceId);
    const index = queue?.findIndex((e) => e.id === id) ?? -1;
    if (index >= 0) queue!.splice(index, 1);
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
    let best: Array<{ id: string; rank: number }> | undefined;
    for (const spaceId of spaceIds) {
      const queue = this.queues.get(spaceId);
      if (queue?.length && (!best || queue[0]!.rank < best[0]!.rank)) best = queue;
    }
    return best?.shift()?.id ?? null;
  }

  dropSpace(spaceId: string): void {
    this.queues.delete(spaceId);
  }
}
