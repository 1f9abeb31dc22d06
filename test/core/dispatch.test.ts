import { describe, expect, it } from 'vitest';
import { settle } from '../fakes/manual-clock.ts';
import { alice, bob, coreUnderTest, promptSpace, RecordingWorker, workerSays } from './core-harness.ts';

const space = promptSpace('dispatch');

describe('dispatch against slots', () => {
  it('hands a worker only as many jobs as it has slots, and the next one when a slot frees', async () => {
    const t = await coreUnderTest([space]);
    const worker = new RecordingWorker('w1', [space.id], 2);
    await t.core.dispatcher.addWorker(worker);
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await t.core.jobs.submit(alice, { space: space.name, prompt: `p${i}`, files: [] })).job.id);
    await settle();
    expect(worker.jobs.map((j) => j.id)).toEqual(ids.slice(0, 2));
    await workerSays(t, worker, ids[0]!, { type: 'result', data: 'ok', files: [] });
    await settle();
    expect(worker.jobs.map((j) => j.id)).toEqual(ids.slice(0, 3));
    expect(await t.engine.queuedJobIds(space.id)).toEqual([ids[3]]);
    t.close();
  });

  it('spreads a burst across workers, one job each before any gets a second', async () => {
    const t = await coreUnderTest([space]);
    const workers = [new RecordingWorker('a', [space.id], 2), new RecordingWorker('b', [space.id], 2)];
    for (const w of workers) await t.core.dispatcher.addWorker(w);
    for (let i = 0; i < 2; i++) await t.core.jobs.submit(alice, { space: space.name, prompt: `p${i}`, files: [] });
    await settle();
    expect(workers.map((w) => w.jobs.length)).toEqual([1, 1]);
    t.close();
  });

  it('looks at the workers it gives jobs to, not at every idle one: a job among 200 idle workers costs a claim or two', async () => {
    const t = await coreUnderTest([space]);
    const workers = Array.from({ length: 200 }, (_, i) => new RecordingWorker(`w${i}`, [space.id], 1));
    for (const w of workers) await t.core.dispatcher.addWorker(w);
    let claims = 0;
    const claim = t.engine.claimJob.bind(t.engine);
    t.engine.claimJob = (...args) => (claims++, claim(...args));
    await t.core.jobs.submit(alice, { space: space.name, prompt: 'one', files: [] });
    await settle();
    expect(claims).toBeLessThanOrEqual(2); // the one that found it, and at most one that found the queue empty
    for (let i = 0; i < 50; i++) await t.core.jobs.submit(alice, { space: space.name, prompt: `p${i}`, files: [] });
    await settle();
    expect(claims).toBeLessThanOrEqual(2 * 51);
    // Round robin: 51 jobs went to 51 different workers.
    expect(workers.filter((w) => w.jobs.length === 1)).toHaveLength(51);
    t.close();
  });

  it('gives no job to a draining worker, and dispatches again when it stops draining', async () => {
    const t = await coreUnderTest([space]);
    const worker = new RecordingWorker('w1', [space.id]);
    await t.core.dispatcher.addWorker(worker);
    await t.core.dispatcher.setDraining(worker, true);
    await t.core.jobs.submit(alice, { space: space.name, prompt: 'x', files: [] });
    await settle();
    expect(worker.jobs).toEqual([]);
    await t.core.dispatcher.setDraining(worker, false);
    await settle();
    expect(worker.jobs).toHaveLength(1);
    t.close();
  });

  it('requeues a disconnected worker’s jobs at the head, ahead of jobs submitted before the loss', async () => {
    const t = await coreUnderTest([space]);
    const first = new RecordingWorker('w1', [space.id]);
    await t.core.dispatcher.addWorker(first);
    const lost = (await t.core.jobs.submit(alice, { space: space.name, prompt: 'lost', files: [] })).job.id;
    const waiting = (await t.core.jobs.submit(bob, { space: space.name, prompt: 'waiting', files: [] })).job.id;
    await settle();
    await t.core.dispatcher.removeWorker(first, 'worker disconnected');
    expect(await t.engine.queuedJobIds(space.id)).toEqual([lost, waiting]);
    expect(t.heard(lost).map((e) => e.type)).toEqual(['queued', 'queued']);
    expect(t.heard(lost)[1]).toMatchObject({ position: 0, attempt: 1, reason: 'worker disconnected' });
    const second = new RecordingWorker('w2', [space.id]);
    await t.core.dispatcher.addWorker(second);
    await settle();
    expect(second.jobs[0]).toMatchObject({ id: lost, attempt: 2 });
    t.close();
  });
});

describe('the cancel grace period', () => {
  /** A one-slot worker running a job that is then cancelled, with another job waiting for the slot. */
  const cancelledWhileRunning = async () => {
    const t = await coreUnderTest([space], { cancelGraceMs: 10_000 });
    const worker = new RecordingWorker('w1', [space.id]);
    await t.core.dispatcher.addWorker(worker);
    const running = (await t.core.jobs.submit(alice, { space: space.name, prompt: 'long', files: [] })).job;
    const next = (await t.core.jobs.submit(alice, { space: space.name, prompt: 'next', files: [] })).job;
    await settle();
    await t.core.jobs.cancel(alice, running.id);
    await settle();
    return { t, worker, running, next };
  };

  it('keeps a cancelled job’s slot until the worker acknowledges, or until the grace period ends', async () => {
    const { t, worker, running, next } = await cancelledWhileRunning();
    expect(worker.cancels).toEqual([{ jobId: running.id, reason: 'cancelled' }]);
    expect(t.heard(running.id).at(-1)).toMatchObject({ type: 'cancelled' });
    // The worker may still be busy with it: no new job in its slot yet.
    await t.clock.advance(9_999);
    expect(worker.jobs.map((j) => j.id)).toEqual([running.id]);
    // It never acknowledges: the slot frees when the grace period ends.
    await t.clock.advance(1);
    expect(worker.jobs.map((j) => j.id)).toEqual([running.id, next.id]);
    t.close();
  });

  it('frees the slot at once when the worker acknowledges the cancel', async () => {
    const { t, worker, running, next } = await cancelledWhileRunning();
    // The acknowledgement: the worker's late event for the job is refused, and the slot goes.
    expect(await workerSays(t, worker, running.id, { type: 'failed', code: 'cancelled', message: 'stopped' })).toBe(false);
    await settle();
    expect(worker.jobs.map((j) => j.id)).toEqual([running.id, next.id]);
    await t.clock.advance(10_000); // the grace timer finds nothing left to free
    expect(worker.jobs).toHaveLength(2);
    t.close();
  });
});

describe('re-attach after a dropped connection', () => {
  it('holds a dropped worker’s jobs for the grace period: taken back within it, requeued after it', async () => {
    const t = await coreUnderTest([space], { reattachGraceMs: 5000 });
    const worker = new RecordingWorker('w1', [space.id]);
    await t.core.dispatcher.addWorker(worker);
    const kept = (await t.core.jobs.submit(alice, { space: space.name, prompt: 'kept', files: [] })).job;
    await settle();
    await t.core.dispatcher.removeWorker(worker, 'worker disconnected', true);
    await t.clock.advance(4000);
    expect((await t.engine.getJob(kept.id))!.state).toBe('assigned'); // still its worker's
    const back = new RecordingWorker('w2', [space.id]);
    expect(await t.core.dispatcher.reattach(back, 'w1', [{ job: kept.id, attempt: 1 }])).toEqual([{ job: kept.id, received: 0 }]);
    await t.core.dispatcher.addWorker(back);
    await t.clock.advance(5000); // the grace timer finds it taken back
    expect(await t.engine.getJob(kept.id)).toMatchObject({ state: 'assigned', worker_id: 'w2', attempt: 1 });
    expect(t.heard(kept.id).map((e) => e.type)).toEqual(['queued']);

    const lost = (await t.core.jobs.submit(alice, { space: space.name, prompt: 'lost', files: [] })).job;
    const third = new RecordingWorker('w3', [space.id]);
    await t.core.dispatcher.addWorker(third);
    await settle();
    await t.core.dispatcher.removeWorker(third, 'worker disconnected', true);
    await t.clock.advance(5000);
    expect(t.heard(lost.id).at(-1)).toMatchObject({ type: 'queued', attempt: 1, reason: 'worker disconnected', epoch: 2 });
    expect(await t.core.dispatcher.reattach(new RecordingWorker('w4', [space.id]), 'w3', [{ job: lost.id, attempt: 1 }])).toEqual([]);
    t.close();
  });
});
