import type { Clock } from './clock.ts';
import type { Engine } from './engine-port.ts';
import type { Now } from './now.ts';
import type { WorkerInfo } from './types.ts';

/**
 * How many slots serve each space, for the ETA a submit answers. The workers are read at most
 * once per `maxAgeMs` (and again as soon as this instance's own workers change), not once per
 * submit: with Redis and a thousand workers, reading them all for every submit was most of what a
 * submit cost. An ETA is an estimate; a second-old count of another instance's workers does for it.
 */
export class SpaceSlots {
  private read: { at: number; bySpace: Map<string, number> } | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly clock: Clock,
    private readonly maxAgeMs = 1000,
  ) {}

  of(spaceId: string): Now<number> {
    if (this.read && this.clock.now() - this.read.at < this.maxAgeMs) return this.read.bySpace.get(spaceId) ?? 0;
    const workers = this.engine.listWorkers();
    if (workers instanceof Promise) return workers.then((w) => this.count(w).get(spaceId) ?? 0);
    return this.count(workers).get(spaceId) ?? 0;
  }

  /** Workers came, went or changed on this instance: the next ETA reads them again. */
  forget(): void {
    this.read = undefined;
  }

  private count(workers: WorkerInfo[]): Map<string, number> {
    const bySpace = new Map<string, number>();
    for (const w of workers) for (const id of w.space_ids) bySpace.set(id, (bySpace.get(id) ?? 0) + servingSlots(w));
    this.read = { at: this.clock.now(), bySpace };
    return bySpace;
  }
}

/** The slots a worker offers its spaces: none while it drains. */
export const servingSlots = (w: WorkerInfo): number => (w.draining ? 0 : w.slots);
