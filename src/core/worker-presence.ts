import type { Engine } from './engine-port.ts';
import type { Now } from './now.ts';
import type { WorkerLink } from './worker-link.ts';

/** A presence write on its way, and the one that follows it when the worker changed meanwhile. */
interface Writing {
  done: Promise<void>;
  next?: Promise<void>;
}

/**
 * What every instance knows of this instance's workers (slots, running jobs, draining), written to
 * the engine as they change. Where a write is a round trip (Redis), the changes made while one is
 * on its way go out as one write after it, with the state then: under load a worker's slots change
 * with every job, and one write per change was a Redis call per claim and per result.
 */
export class WorkerPresence {
  private readonly writing = new Map<string, Writing>();

  constructor(private readonly engine: Engine) {}

  /** Settles once the engine has this worker's state as it is now (or newer). */
  publish(link: WorkerLink): Now<void> {
    if (link.closed) return;
    const current = this.writing.get(link.id);
    if (current) return (current.next ??= current.done.then(() => this.write(link)));
    return this.write(link);
  }

  private write(link: WorkerLink): Now<void> {
    // A worker gone while the write before was on its way is not written back after its removal.
    if (link.closed) return;
    const written = this.engine.putWorker({
      id: link.id,
      name: link.name,
      space_ids: link.spaceIds,
      slots: link.slots,
      running: link.held.size,
      draining: link.draining,
      connected_at: link.connectedAt,
      instance: this.engine.instanceId,
    });
    if (!(written instanceof Promise)) return written;
    const entry: Writing = {
      done: written.finally(() => {
        if (this.writing.get(link.id) === entry) this.writing.delete(link.id);
      }),
    };
    this.writing.set(link.id, entry);
    return entry.done;
  }
}
