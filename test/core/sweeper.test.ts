import { describe, expect, it } from 'vitest';
import { settle } from '../fakes/manual-clock.ts';
import { alice, coreUnderTest, promptSpace, RecordingWorker, workerSays } from './core-harness.ts';

const space = promptSpace('sweep', { timeout_s: 30, max_attempts: 3 });

describe('the sweeper', () => {
  it('requeues a job whose lease ran out without heartbeats, and tells the silent worker to stop', async () => {
    const t = await coreUnderTest([space], { leaseMs: 5000, sweepIntervalMs: 1000 });
    const worker = new RecordingWorker('w1', [space.id]);
    await t.core.dispatcher.addWorker(worker);
    const { job } = await t.core.jobs.submit(alice, { space: space.name, prompt: 'x', files: [] });
    await settle();
    await t.clock.advance(4000);
    await t.core.dispatcher.heartbeat(worker); // renews the lease to 9 s
    await t.clock.advance(4000);
    expect((await t.engine.getJob(job.id))!.state).toBe('assigned');
    await t.clock.advance(2000); // 10 s: no heartbeat since 4 s
    expect(worker.cancels).toEqual([{ jobId: job.id, reason: 'lease expired' }]);
    expect(await t.engine.getJob(job.id)).toMatchObject({ state: 'queued', attempt: 1 });
    // Silent workers get no new job until they heartbeat again.
    await t.clock.advance(1000);
    expect(worker.jobs).toHaveLength(1);
    await t.core.dispatcher.heartbeat(worker);
    await settle();
    expect(worker.jobs.map((j) => j.attempt)).toEqual([1, 2]);
    t.close();
  });

  it('ends a job past its deadline as timed_out, and tells its worker', async () => {
    const t = await coreUnderTest([space], { leaseMs: 600_000 });
    const worker = new RecordingWorker('w1', [space.id]);
    await t.core.dispatcher.addWorker(worker);
    const { job } = await t.core.jobs.submit(alice, { space: space.name, prompt: 'slow', files: [] });
    await settle();
    await t.clock.advance(29_000);
    expect((await t.engine.getJob(job.id))!.state).toBe('assigned');
    await t.clock.advance(1000);
    expect(await t.engine.getJob(job.id)).toMatchObject({ state: 'timed_out', error: { code: 'timed_out' } });
    expect(t.heard(job.id).at(-1)).toMatchObject({ type: 'timed_out' });
    expect(worker.cancels).toEqual([{ jobId: job.id, reason: 'timed_out' }]);
    t.close();
  });

  it('deletes finished jobs once past retention, and keeps the ones still within it', async () => {
    const t = await coreUnderTest([space], { retentionMs: 3_600_000 });
    const worker = new RecordingWorker('w1', [space.id]);
    await t.core.dispatcher.addWorker(worker);
    const old = (await t.core.jobs.submit(alice, { space: space.name, prompt: 'old', files: [] })).job.id;
    await settle();
    await workerSays(t, worker, old, { type: 'result', data: 1, files: [] });
    await t.clock.advance(1_800_000);
    const recent = (await t.core.jobs.submit(alice, { space: space.name, prompt: 'recent', files: [] })).job.id;
    await settle();
    await workerSays(t, worker, recent, { type: 'result', data: 2, files: [] });
    // Retention is checked about once a minute: two minutes past the hour, the old one is gone.
    await t.clock.advance(1_800_000 + 120_000);
    expect(await t.engine.getJob(old)).toBeNull();
    expect(await t.engine.getJob(recent)).toMatchObject({ state: 'completed' });
    await t.clock.advance(1_800_000);
    expect(await t.engine.getJob(recent)).toBeNull();
    t.close();
  });
});
