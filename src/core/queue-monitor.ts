import { systemClock, type Clock } from './clock.ts';
import type { Engine } from './engine-port.ts';
import type { JobService } from './job-service.ts';
import type { SpaceStatus, SpaceStatusMessage } from '../protocol/server-messages.ts';
import type { Space, WorkerInfo } from './types.ts';

export type { SpaceStatus } from '../protocol/server-messages.ts';

export function spaceStatus(space: Space, workers: WorkerInfo[], queueLength: number): SpaceStatus {
  const serving = workers.filter((w) => w.space_ids.includes(space.id));
  const slots = serving.reduce((n, w) => n + (w.draining ? 0 : w.slots), 0);
  const busy = serving.reduce((n, w) => n + (w.draining ? 0 : Math.min(w.running, w.slots)), 0);
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
  for (const space of spaces.filter(which)) out.push(spaceStatus(space, workers, (await engine.queuedJobIds(space.id)).length));
  return out;
}

/**
 * Pushes honest queue positions and space status when they change. Changes are coalesced per space
 * over `intervalMs`, so a burst of dispatches costs one refresh, not one per job per dispatch.
 */
export class QueueMonitor {
  private readonly scheduled = new Set<string>();
  /** Last position pushed per queued job, per space. */
  private readonly pushed = new Map<string, Map<string, number>>();
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
      this.refresh(spaceId).catch((err) => this.onError(err, 'queue-monitor'));
    });
    this.timers.add(cancel);
  }

  changed(spaceId: string): void {
    this.touch(spaceId);
  }

  /** Records the position a job was told at submit or requeue, so it is not pushed again. */
  told(spaceId: string, jobId: string, position: number): void {
    this.positions(spaceId).set(jobId, position);
  }

  async refresh(spaceId: string): Promise<void> {
    const space = await this.engine.getSpaceById(spaceId);
    if (!space) return;
    const [ids, workers] = await Promise.all([this.engine.queuedJobIds(spaceId), this.engine.listWorkers()]);
    const status = spaceStatus(space, workers, ids.length);
    const line = JSON.stringify({ type: 'space_status', ...status } satisfies SpaceStatusMessage);
    if (this.lastStatus.get(spaceId) !== line) {
      this.lastStatus.set(spaceId, line);
      this.jobs.control({ op: 'status', space: spaceId, line });
    }
    const known = this.positions(spaceId);
    const stillQueued = new Set(ids);
    for (const id of known.keys()) if (!stillQueued.has(id)) known.delete(id);
    const estimate = this.jobs.estimate(spaceId);
    for (let position = 0; position < ids.length; position++) {
      const id = ids[position]!;
      if (known.get(id) === position) continue;
      known.set(id, position);
      const job = await this.engine.getJob(id);
      if (job?.state !== 'queued') continue;
      await this.jobs.systemEvent(job, { type: 'queued', position, eta_ms: estimate.etaMs(position, status.slots), attempt: job.attempt });
    }
  }

  private positions(spaceId: string): Map<string, number> {
    let map = this.pushed.get(spaceId);
    if (!map) this.pushed.set(spaceId, (map = new Map()));
    return map;
  }

  close(): void {
    this.closed = true;
    for (const cancel of this.timers) cancel();
    this.timers.clear();
  }
}
