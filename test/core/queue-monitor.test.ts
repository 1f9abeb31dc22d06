import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGETS } from '../../src/core/budgets.ts';
import { settle } from '../fakes/manual-clock.ts';
import { alice, coreUnderTest, promptSpace, RecordingWorker, workerSays } from './core-harness.ts';

const space = promptSpace('positions');
const submit = async (t: Awaited<ReturnType<typeof coreUnderTest>>, prompt: string) => (await t.core.jobs.submit(alice, { space: space.name, prompt, files: [] })).job.id;

describe('queue positions and ETAs', () => {
  it('tells each waiting job its new position once per change, with an ETA from measured run times over the slots', async () => {
    const t = await coreUnderTest([space], { statusIntervalMs: 250 });
    const worker = new RecordingWorker('w1', [space.id], 2);
    await t.core.dispatcher.addWorker(worker);
    // One finished job teaches the space how long a job runs: 4 s.
    const timed = await submit(t, 'timed');
    await settle();
    await workerSays(t, worker, timed, { type: 'started', attempt: 1, worker: 'w1' });
    await t.clock.advance(4000);
    await workerSays(t, worker, timed, { type: 'result', data: 'ok', files: [] });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await submit(t, `p${i}`));
    await settle();
    // Two run (the two slots); three wait at 0, 1, 2, told so at submit with 4 s per pair of slots ahead.
    const waiting = ids.slice(2);
    expect(waiting.map((id) => t.heard(id)[0])).toEqual([0, 1, 2].map((position) => expect.objectContaining({ type: 'queued', position, eta_ms: [4000, 4000, 8000][position] })));
    // Both running jobs take 4 s too, then end: each waiting job moves up by two, told once after the coalescing interval.
    for (const id of ids.slice(0, 2)) await workerSays(t, worker, id, { type: 'started', attempt: 1, worker: 'w1' });
    await t.clock.advance(4000);
    expect(t.heard(waiting[2]!)).toHaveLength(1);
    await workerSays(t, worker, ids[0]!, { type: 'result', data: 'ok', files: [] });
    await workerSays(t, worker, ids[1]!, { type: 'result', data: 'ok', files: [] });
    await settle();
    expect(t.heard(waiting[2]!)).toHaveLength(1); // not yet: changes are gathered first
    await t.clock.advance(250);
    expect(t.heard(waiting[2]!).map((e) => e.position)).toEqual([2, 0]);
    expect(t.heard(waiting[2]!)[1]).toMatchObject({ type: 'position', eta_ms: 4000 });
    expect(t.heard(waiting[2]!)[1]).not.toHaveProperty('seq'); // live state, not an event of the log
    // The two dispatched ones left the queue: no position update for them.
    expect(t.heard(waiting[0]!).filter((e) => e.type === 'queued' || e.type === 'position')).toHaveLength(1);
    await t.clock.advance(1000); // nothing changed: nothing more is told
    expect(t.heard(waiting[2]!)).toHaveLength(2);
    t.close();
  });

  it('gives no ETA while nothing has been measured or nobody serves the space', async () => {
    const t = await coreUnderTest([space]);
    const id = await submit(t, 'first');
    expect(t.heard(id)[0]).toMatchObject({ type: 'queued', position: 0, eta_ms: null });
    t.close();
  });

  it('coalesces a burst of changes into one refresh and sends the space status only when it changed', async () => {
    const t = await coreUnderTest([space], { statusIntervalMs: 250 });
    for (let i = 0; i < 20; i++) await submit(t, `p${i}`);
    await t.clock.advance(250);
    expect(t.statuses(space.id).map((s) => s.queue_length)).toEqual([20]);
    const worker = new RecordingWorker('w1', [space.id], 1);
    await t.core.dispatcher.addWorker(worker);
    await t.clock.advance(250);
    expect(t.statuses(space.id).at(-1)).toMatchObject({ connected: true, workers: 1, slots: 1, free_slots: 0, queue_length: 19 });
    const sent = t.statuses(space.id).length;
    await t.clock.advance(5000);
    expect(t.statuses(space.id)).toHaveLength(sent);
    t.close();
  });

  it('looks at the head every interval and at the rest of the queue every fourth: a queue drained fast tells a job far back at most once in four', async () => {
    const long = promptSpace('positions', { max_queue: 1000 });
    const t = await coreUnderTest([long], { statusIntervalMs: 250, budgets: { ...DEFAULT_BUDGETS, jobsPerSpace: 1000 } });
    const ids = [];
    for (let i = 0; i < 130; i++) ids.push(await submit(t, `p${i}`));
    await t.clock.advance(250); // the first look at the queue: each job was told its place at submit
    // Twenty slots take the first twenty: every job behind them moves up twenty places.
    await t.core.dispatcher.addWorker(new RecordingWorker('w1', [long.id], 20));
    await settle();
    const places = (id: string) => t.heard(id).map((e) => e.position);
    await t.clock.advance(250);
    expect(places(ids[119]!)).toEqual([119, 99]); // at the head now: told at the next refresh
    expect(places(ids[125]!)).toEqual([125]); // now at 105, another step: not before the rest's cadence
    await t.clock.advance(500);
    expect(places(ids[125]!)).toEqual([125]);
    await t.clock.advance(250);
    expect(places(ids[125]!)).toEqual([125, 105]);
    expect(places(ids[119]!)).toEqual([119, 99]);
    await t.clock.advance(2000); // nothing moved since: nothing more is told
    expect(places(ids[125]!)).toEqual([125, 105]);
    t.close();
  });
});
