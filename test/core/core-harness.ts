import type { Engine } from '../../src/core/engine-port.ts';
import { createCore, type CoreOptions, type GatewayCore } from '../../src/core/gateway-core.ts';
import { silentTelemetry } from '../../src/core/telemetry.ts';
import type { Identity, Job, JobResult, Space } from '../../src/core/types.ts';
import { FINAL_EVENT_STATE, type JobEvent } from '../../src/protocol/job-events.ts';
import type { HeldJob, JobFile, WorkerLink } from '../../src/core/worker-link.ts';
import { createMemoryEngine } from '../fakes/memory-engine.ts';
import { ManualClock, settle } from '../fakes/manual-clock.ts';

export const OPTIONS: CoreOptions = { leaseMs: 30_000, cancelGraceMs: 10_000, sweepIntervalMs: 1000, retentionMs: 3_600_000, statusIntervalMs: 250 };

export const alice: Identity = { kind: 'user', id: 'user_alice', name: 'alice' };
export const bob: Identity = { kind: 'user', id: 'user_bob', name: 'bob' };

/** A space taking prompts, as an admin would create it. */
export function promptSpace(name: string, over: Partial<Space> = {}): Space {
  return {
    id: `space_${name}`,
    name,
    description: '',
    inputs: { prompt: { max_bytes: 1000, mime: [] } },
    timeout_s: 60,
    max_queue: 100,
    max_attempts: 2,
    access: 'public',
    created_at: 1,
    updated_at: 1,
    ...over,
  };
}

/** A worker as the dispatcher sees it, recording what it was sent instead of writing to a socket. */
export class RecordingWorker implements WorkerLink {
  draining = false;
  closed = false;
  silent = false;
  reserved = 0;
  readonly held = new Map<string, HeldJob>();
  readonly jobs: Job[] = [];
  readonly cancels: Array<{ jobId: string; reason: string }> = [];
  readonly connectedAt = 1;

  constructor(
    readonly id: string,
    readonly spaceIds: string[],
    readonly slots = 1,
    readonly name = id,
  ) {}

  sendJob(job: Job, _files: JobFile[]): void {
    this.jobs.push(job);
  }
  sendCancel(jobId: string, reason: string): void {
    this.cancels.push({ jobId, reason });
  }
  sendDraining(): void {}
  disconnect(): void {}
}

export interface CoreUnderTest {
  core: GatewayCore;
  engine: Engine;
  clock: ManualClock;
  /** Every event line published, per job, parsed. */
  heard(jobId: string): Array<Record<string, unknown> & { type: string; seq: number }>;
  /** Every space_status line the monitor sent, per space. */
  statuses(spaceId: string): Array<Record<string, unknown>>;
  close(): void;
}

/** The core on the in-memory engine and a manual clock: nothing runs until the test moves time. */
export async function coreUnderTest(spaces: Space[], options: Partial<CoreOptions> = {}): Promise<CoreUnderTest> {
  const clock = new ManualClock();
  const engine = createMemoryEngine(clock);
  for (const s of spaces) await engine.createSpace(s);
  const events = new Map<string, Array<Record<string, unknown> & { type: string; seq: number }>>();
  const statuses = new Map<string, Array<Record<string, unknown>>>();
  engine.subscribe({
    jobEvent(_space, jobId, _owner, line) {
      const list = events.get(jobId) ?? [];
      events.set(jobId, list);
      list.push(JSON.parse(line));
    },
    message(_channel, message) {
      const control = JSON.parse(message) as { op: string; space?: string; line?: string };
      if (control.op !== 'status' || !control.space || !control.line) return;
      const list = statuses.get(control.space) ?? [];
      statuses.set(control.space, list);
      list.push(JSON.parse(control.line));
    },
  });
  const core = createCore(engine, { ...OPTIONS, ...options, clock }, silentTelemetry);
  await settle();
  return {
    core,
    engine,
    clock,
    heard: (jobId) => events.get(jobId) ?? [],
    statuses: (spaceId) => statuses.get(spaceId) ?? [],
    close: () => core.close(),
  };
}

/** What the server's worker session does with a worker's message: the event, then the slot freed once it ends the job. */
export async function workerSays(t: CoreUnderTest, worker: RecordingWorker, jobId: string, event: JobEvent, result?: JobResult): Promise<boolean> {
  const held = worker.held.get(jobId);
  if (!held) return false;
  const kept = await t.core.jobs.workerEvent(held, event, result);
  if (!kept || event.type in FINAL_EVENT_STATE) await t.core.dispatcher.freeSlot(worker, jobId);
  return kept;
}
