import { describe, expect, it } from 'vitest';
import { settle } from '../fakes/manual-clock.ts';
import { alice, bob, coreUnderTest, promptSpace, RecordingWorker, workerSays } from './core-harness.ts';

const space = promptSpace('life', { max_queue: 2, max_attempts: 2, timeout_s: 30 });

describe('a job’s life through the core', () => {
  it('refuses what the space does not take, with a code each', async () => {
    const t = await coreUnderTest([space, promptSpace('members', { access: 'users' })]);
    await expect(t.core.jobs.submit(alice, { space: 'nowhere', prompt: 'x', files: [] })).rejects.toMatchObject({ code: 'space_not_found' });
    await expect(t.core.jobs.submit(alice, { space: space.name, prompt: 'x'.repeat(1001), files: [] })).rejects.toMatchObject({ code: 'input_too_large' });
    await expect(t.core.jobs.submit({ kind: 'anonymous', id: 'a', name: 'a' }, { space: 'members', prompt: 'x', files: [] })).rejects.toMatchObject({ code: 'unauthorized' });
    await t.core.jobs.submit(alice, { space: space.name, prompt: 'a', files: [] });
    await t.core.jobs.submit(alice, { space: space.name, prompt: 'b', files: [] });
    await expect(t.core.jobs.submit(alice, { space: space.name, prompt: 'c', files: [] })).rejects.toMatchObject({ code: 'queue_full' });
    t.close();
  });

  it('walks queued → assigned → running → completed, each step told to the job’s followers in seq order', async () => {
    const t = await coreUnderTest([space]);
    const worker = new RecordingWorker('w1', [space.id]);
    await t.core.dispatcher.addWorker(worker);
    const { job } = await t.core.jobs.submit(alice, { space: space.name, prompt: 'hi', files: [] });
    await settle();
    expect((await t.engine.getJob(job.id))!.state).toBe('assigned');
    await workerSays(t, worker, job.id, { type: 'started', attempt: 1, worker: 'w1' });
    expect((await t.engine.getJob(job.id))!.state).toBe('running');
    await workerSays(t, worker, job.id, { type: 'token', text: 'he' });
    await workerSays(t, worker, job.id, { type: 'token', text: 'llo' });
    await workerSays(t, worker, job.id, { type: 'result', data: 'hello', files: [] }, { data: 'hello', files: [] });
    expect(await t.engine.getJob(job.id)).toMatchObject({ state: 'completed', result: { data: 'hello' } });
    expect(t.heard(job.id).map((e) => [e.seq, e.type])).toEqual([
      [1, 'queued'],
      [2, 'started'],
      [3, 'token'],
      [4, 'token'],
      [5, 'result'],
    ]);
    // A late event from the worker is refused; nothing more is told.
    expect(await workerSays(t, worker, job.id, { type: 'token', text: 'late' })).toBe(false);
    expect(t.heard(job.id)).toHaveLength(5);
    t.close();
  });

  it('lets only its owner (or an admin) see and cancel a job, and not once it ended', async () => {
    const t = await coreUnderTest([space]);
    const { job } = await t.core.jobs.submit(alice, { space: space.name, prompt: 'mine', files: [] });
    await expect(t.core.jobs.cancel(bob, job.id)).rejects.toMatchObject({ code: 'job_not_found' });
    expect(await t.core.jobs.cancel(alice, job.id)).toMatchObject({ state: 'cancelled', error: { code: 'cancelled' } });
    await expect(t.core.jobs.cancel(alice, job.id)).rejects.toMatchObject({ code: 'job_finished' });
    expect(await t.engine.queuedJobIds(space.id)).toEqual([]);
    t.close();
  });

  it('fails a job its workers lost more often than the space allows', async () => {
    const t = await coreUnderTest([space]);
    const { job } = await t.core.jobs.submit(alice, { space: space.name, prompt: 'fragile', files: [] });
    for (const id of ['w1', 'w2']) {
      const worker = new RecordingWorker(id, [space.id]);
      await t.core.dispatcher.addWorker(worker);
      await settle();
      await t.core.dispatcher.removeWorker(worker, 'worker disconnected');
    }
    expect(await t.engine.getJob(job.id)).toMatchObject({ state: 'failed', error: { code: 'worker_lost' } });
    expect(t.heard(job.id).map((e) => e.type)).toEqual(['queued', 'queued', 'failed']);
    t.close();
  });
});
