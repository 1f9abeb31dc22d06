import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/core/engine-port.ts';
import type { WorkerInfo } from '../../src/core/types.ts';
import type { HeldJob, WorkerLink } from '../../src/core/worker-link.ts';
import { WorkerPresence } from '../../src/core/worker-presence.ts';

/** An engine whose presence writes are round trips that end when the test says. */
function slowWrites() {
  const written: number[] = [];
  const pending: Array<() => void> = [];
  const engine = {
    instanceId: 'gw_test',
    putWorker: (info: WorkerInfo) => {
      written.push(info.running);
      return new Promise<void>((resolve) => pending.push(resolve));
    },
  } as unknown as Engine;
  const answer = async () => {
    pending.shift()!();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { engine, written, answer };
}

const link = (): WorkerLink =>
  ({
    id: 'worker_1',
    name: 'w',
    spaceIds: ['space_a'],
    slots: 4,
    connectedAt: 0,
    draining: false,
    closed: false,
    silent: false,
    reserved: 0,
    held: new Map<string, HeldJob>(),
  }) as unknown as WorkerLink;

describe('worker presence', () => {
  it('writes the changes made while a write is on its way once after it, with the state then', async () => {
    const { engine, written, answer } = slowWrites();
    const presence = new WorkerPresence(engine);
    const w = link();
    const first = presence.publish(w);
    const later: unknown[] = [];
    for (let running = 1; running <= 3; running++) {
      w.held.set(`job_${running}`, {} as HeldJob);
      later.push(presence.publish(w));
    }
    expect(written).toEqual([0]);
    expect(new Set(later).size).toBe(1); // the three share the one write that follows
    let settled = false;
    void (later[0] as Promise<void>).then(() => (settled = true));
    await answer();
    expect(written).toEqual([0, 3]);
    expect(settled).toBe(false); // not before the write that has their change
    await answer();
    expect(settled).toBe(true);
    await first;
    // Nothing on its way: the next change is written at once.
    w.held.delete('job_1');
    void presence.publish(w);
    expect(written).toEqual([0, 3, 2]);
  });

  it('does not write a worker back once it is gone', async () => {
    const { engine, written, answer } = slowWrites();
    const presence = new WorkerPresence(engine);
    const w = link();
    void presence.publish(w);
    void presence.publish(w);
    w.closed = true;
    await answer();
    expect(written).toEqual([0]);
    expect(presence.publish(w)).toBeUndefined();
  });
});
