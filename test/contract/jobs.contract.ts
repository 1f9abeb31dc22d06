import { describe, expect, it } from 'vitest';
import { canTransition } from '../../src/core/job-state.ts';
import { isParked, type JobFilter, type ParkedClaim } from '../../src/core/ports/jobs.ts';
import type { Job } from '../../src/core/types.ts';
import { positionLine, type JobEvent } from '../../src/protocol/job-events.ts';
import { heardOf, heldJob, job, lost, queued, ref, seqsOf, space, token, until, type MakeEngine } from './harness.ts';

/** The jobs port (src/core/ports/jobs.ts): queues, leases, the state machine, and logs that publish what they append. */
export function jobsContract(name: string, makeEngine: MakeEngine): void {
  describe(`jobs port: ${name}`, () => {
    it('queues FIFO, refuses past max_queue, and never hands one job to two claims', async () => {
      const { engine } = await makeEngine();
      const s = space('fifo');
      await engine.createSpace(s);
      const jobs = [job(s), job(s), job(s)];
      for (const [i, j] of jobs.entries()) expect(await engine.submitJob(j, 3, queued)).toMatchObject({ position: i });
      expect(await engine.queuedJobIds(s.id)).toEqual(jobs.map((j) => j.id));
      await expect(engine.submitJob(job(s), 3, queued)).rejects.toMatchObject({ code: 'queue_full' });
      const claims = await Promise.all([1, 2, 3, 4, 5].map((w) => engine.claimJob([s.id], `w${w}`, 1000)));
      const got = claims.filter((c): c is Job => c !== null);
      expect(got.map((j) => j.id)).toEqual(jobs.map((j) => j.id));
      expect(new Set(got.map((j) => j.worker_id)).size).toBe(3);
      expect(got.every((j) => j.state === 'assigned' && j.attempt === 1)).toBe(true);
      expect(await engine.claimJob([], 'w9', 1000)).toBeNull();
      await engine.close();
    });

    it('answers a repeated idempotency key with the job it made — also when the queue is full — and nothing else is queued', async () => {
      const { engine } = await makeEngine();
      const s = space('idem');
      await engine.createSpace(s);
      const key = { key: `k-${Math.random()}`, fingerprint: 'f' };
      const first = job(s, { idempotency: key });
      expect(await engine.submitJob(first, 1, queued)).toMatchObject({ position: 0 });
      expect(await engine.submitJob(job(s, { idempotency: key }), 1, queued)).toEqual({ existing: first.id });
      await expect(engine.submitJob(job(s, { idempotency: { key: `other-${Math.random()}`, fingerprint: 'f' } }), 1, queued)).rejects.toMatchObject({ code: 'queue_full' });
      expect(await engine.queuedJobIds(s.id)).toEqual([first.id]);
      // Still the same job once it has ended, until retention deletes it.
      await engine.endJob(ref(first), { type: 'cancelled', reason: 'test' });
      expect(await engine.submitJob(job(s, { idempotency: key }), 1, queued)).toEqual({ existing: first.id });
      await engine.purgeFinishedBefore(Date.now() + 1000);
      const again = job(s, { idempotency: key });
      expect(await engine.submitJob(again, 1, queued)).toMatchObject({ position: 0 });
      await engine.close();
    });

    it('makes one job of submits with one idempotency key at once (from two instances, where the engine has them)', async () => {
      const made = await makeEngine();
      const other = made.leasesSurviveReopen && made.reopen ? await made.reopen() : made.engine;
      const s = space('idem-race');
      await made.engine.createSpace(s);
      const key = { key: `race-${Math.random()}`, fingerprint: 'f' };
      const jobs = Array.from({ length: 6 }, () => job(s, { idempotency: key }));
      const out = await Promise.all(jobs.map((j, i) => (i % 2 ? other : made.engine).submitJob(j, 100, queued)));
      const queuedOnes = out.filter((o) => 'position' in o);
      expect(queuedOnes).toHaveLength(1);
      const winner = jobs[out.indexOf(queuedOnes[0]!)]!.id;
      expect(out.filter((o) => 'existing' in o)).toEqual(Array(5).fill({ existing: winner }));
      expect(await made.engine.queuedJobIds(s.id)).toEqual([winner]);
      if (other !== made.engine) await other.close();
      await made.engine.close();
    });

    it('lists jobs newest first a page at a time, by owner, space and state, each exactly once', async () => {
      const { engine } = await makeEngine();
      const [s, t] = [space('pages-s'), space('pages-t')];
      await engine.createSpace(s);
      await engine.createSpace(t);
      const owners = ['alice', 'bob', 'carol'].map((n) => ({ kind: 'user' as const, id: `user_${n}_${Math.random()}`, name: n }));
      const made = Array.from({ length: 45 }, (_, i) => job(i % 4 === 0 ? t : s, { owner: owners[i % 3]! }));
      for (const j of made) await engine.submitJob(j, 1000, queued);
      await engine.endJob(ref(made[3]!), { type: 'cancelled', reason: 'test' });
      const pages = async (filter: Omit<JobFilter, 'limit' | 'before'>, size: number) => {
        const seen: string[] = [];
        for (let before: string | undefined; ; ) {
          const page = await engine.listJobs({ ...filter, before, limit: size });
          seen.push(...page.map((j) => j.id));
          if (page.length < size) return seen;
          before = page.at(-1)!.id;
        }
      };
      const newestFirst = (pick: (j: Job, i: number) => boolean) =>
        made
          .filter(pick)
          .map((j) => j.id)
          .reverse();
      expect(await pages({ ownerId: owners[0]!.id }, 4)).toEqual(newestFirst((_, i) => i % 3 === 0));
      expect(await pages({ ownerId: owners[1]!.id, spaceId: s.id }, 3)).toEqual(newestFirst((_, i) => i % 3 === 1 && i % 4 !== 0));
      expect(await pages({ ownerId: owners[0]!.id, state: 'cancelled' }, 2)).toEqual([made[3]!.id]);
      const everyone = await pages({ spaceId: t.id }, 5);
      expect(everyone).toEqual(newestFirst((_, i) => i % 4 === 0));
      // Purged jobs leave the owner's history.
      await engine.purgeFinishedBefore(Date.now() + 1000);
      expect(await pages({ ownerId: owners[0]!.id }, 50)).toEqual(newestFirst((_, i) => i % 3 === 0 && i !== 3));
      await engine.close();
    });

    it('shares a fair space round-robin between callers: one caller’s backlog does not hold up another’s job', async () => {
      const { engine } = await makeEngine();
      const s = space('fair');
      await engine.createSpace(s);
      const by = (caller: string) => job(s, { fair_by: caller });
      const alice = Array.from({ length: 5 }, () => by('alice'));
      for (const [i, j] of alice.entries()) expect(await engine.submitJob(j, 100, queued)).toMatchObject({ position: i });
      // Bob's one job goes in the round being dispatched (after Alice's first, which came first);
      // Carol's two take that round and the next.
      const bob = by('bob');
      expect(await engine.submitJob(bob, 100, queued)).toMatchObject({ position: 1 });
      const carol = [by('carol'), by('carol')];
      expect(await engine.submitJob(carol[0]!, 100, queued)).toMatchObject({ position: 2 });
      expect(await engine.submitJob(carol[1]!, 100, queued)).toMatchObject({ position: 4 });
      const order = [alice[0], bob, carol[0], alice[1], carol[1], alice[2], alice[3], alice[4]].map((j) => j!.id);
      expect(await engine.queuedJobIds(s.id)).toEqual(order);
      // Taking jobs moves the round on: Bob, back with nothing waiting, joins the round being dispatched.
      for (const id of order.slice(0, 4)) expect((await engine.claimJob([s.id], 'w', 1000))!.id).toBe(id);
      const again = by('bob');
      expect(await engine.submitJob(again, 100, queued)).toMatchObject({ position: 1 });
      expect(await engine.queuedJobIds(s.id)).toEqual([carol[1]!.id, again.id, ...alice.slice(2).map((j) => j.id)]);
      // A cancelled job frees its caller's place: Carol, with none left waiting, joins the current round again.
      await engine.endJob(ref(carol[1]!), { type: 'cancelled', reason: 'test' });
      const carolAgain = by('carol');
      expect(await engine.submitJob(carolAgain, 100, queued)).toMatchObject({ position: 1 });
      await engine.close();
    });

    it('reads a queue by position and counts how often it moved: departures, and insertions ahead of the tail only', async () => {
      const { engine } = await makeEngine();
      const s = space('moves');
      await engine.createSpace(s);
      expect(await engine.queueState(s.id)).toEqual({ length: 0, departures: 0, insertionsAhead: 0 });
      const fifo = Array.from({ length: 6 }, () => job(s));
      for (const j of fifo) await engine.submitJob(j, 100, queued);
      const ids = fifo.map((j) => j.id);
      expect(await engine.queueState(s.id)).toEqual({ length: 6, departures: 0, insertionsAhead: 0 }); // each joined at the tail
      expect(await engine.queuedJobIds(s.id, 2, 4)).toEqual(ids.slice(2, 4));
      expect(await engine.queuedJobIds(s.id, 4)).toEqual(ids.slice(4));
      expect(await engine.queuedJobIds(s.id, 5, 99)).toEqual(ids.slice(5));
      expect(await engine.queuedJobIds(s.id, 3, 3)).toEqual([]);
      expect(await engine.queuePosition(s.id, ids[3]!)).toBe(3);
      expect(await engine.queuePosition(s.id, 'job_none')).toBe(-1);
      await engine.submitJob(job(s, { priority: 5 }), 100, queued); // ahead of all six
      expect((await engine.claimJob([s.id], 'w', 1000))!.priority).toBe(5);
      await engine.endJob(ref(fifo[4]!), { type: 'cancelled', reason: 'test' });
      expect(await engine.queueState(s.id)).toEqual({ length: 5, departures: 2, insertionsAhead: 1 });
      expect(await engine.queuePosition(s.id, ids[5]!)).toBe(4);
      expect(await engine.queuePosition(s.id, ids[4]!)).toBe(-1);
      await engine.close();
    });

    it('gives a caller of weight w w jobs a round', async () => {
      const { engine } = await makeEngine();
      const s = space('weights');
      await engine.createSpace(s);
      const heavy = Array.from({ length: 4 }, () => job(s, { fair_by: 'heavy', fair_weight: 2 }));
      const light = Array.from({ length: 2 }, () => job(s, { fair_by: 'light' }));
      for (const j of [...heavy, ...light]) await engine.submitJob(j, 100, queued);
      expect(await engine.queuedJobIds(s.id)).toEqual([heavy[0], heavy[1], light[0], heavy[2], heavy[3], light[1]].map((j) => j!.id));
      await engine.close();
    });

    it('takes higher priorities first, fair share within each, and puts a requeued job back at the head of its priority', async () => {
      const { engine } = await makeEngine();
      const s = space('priorities');
      await engine.createSpace(s);
      const low = job(s, { fair_by: 'a', priority: -5 });
      const plain = [job(s, { fair_by: 'a' }), job(s, { fair_by: 'a' })];
      const urgent = job(s, { fair_by: 'b', priority: 10 });
      for (const j of [low, ...plain]) await engine.submitJob(j, 100, queued);
      expect(await engine.submitJob(urgent, 100, queued)).toMatchObject({ position: 0 });
      expect(await engine.queuedJobIds(s.id)).toEqual([urgent.id, plain[0]!.id, plain[1]!.id, low.id]);
      const fifo = job(s, { priority: 3 }); // no caller to share by: first come, first served within its priority
      expect(await engine.submitJob(fifo, 100, queued)).toMatchObject({ position: 1 });
      expect((await engine.claimJob([s.id], 'w1', 1000))!.id).toBe(urgent.id);
      expect((await engine.claimJob([s.id], 'w2', 1000))!.id).toBe(fifo.id);
      const held = (await engine.claimJob([s.id], 'w3', 1000))!;
      expect(held.id).toBe(plain[0]!.id);
      await engine.submitJob(job(s, { fair_by: 'c', priority: 10 }), 100, queued);
      expect(await engine.releaseJob(ref(held), { workerId: 'w3', attempt: 1 }, (p) => ({ ...queued(p), attempt: 1 }), lost)).toEqual({ requeued: true });
      const ids = await engine.queuedJobIds(s.id);
      expect(ids.slice(1)).toEqual([plain[0]!.id, plain[1]!.id, low.id]); // behind the higher priority, ahead of its own
      await engine.close();
    });

    it('keeps a job released with a backoff out of its queue until promoteDue finds it due, then at the head', async () => {
      const { engine } = await makeEngine();
      const s = space('backoff');
      await engine.createSpace(s);
      const [a, b] = [job(s, { fair_by: 'x' }), job(s, { fair_by: 'y' })];
      await engine.submitJob(a, 10, queued);
      const held = (await engine.claimJob([s.id], 'w1', 60_000))!;
      await engine.submitJob(b, 10, queued);
      const retry = (): JobEvent => ({ type: 'retry_scheduled', attempt: 1, delay_ms: 5000, message: 'busy' });
      const at = Date.now() + 5000;
      expect(await engine.releaseJob(ref(held), { workerId: 'w1', attempt: 1 }, retry, lost, at)).toEqual({ requeued: true });
      expect(await engine.getJob(a.id)).toMatchObject({ state: 'queued' });
      expect(await engine.queuedJobIds(s.id)).toEqual([b.id]);
      const events = (await engine.readEvents(a.id, 0))!;
      expect(JSON.parse(events.lines.at(-1)!)).toMatchObject({ type: 'retry_scheduled', delay_ms: 5000, epoch: events.epoch });
      expect(events.epochSeq).toBe(2);
      expect(await engine.promoteDue(at - 1)).toEqual([]);
      expect(await engine.promoteDue(at)).toEqual([{ spaceId: s.id, jobId: a.id }]);
      expect(await engine.queuedJobIds(s.id)).toEqual([a.id, b.id]);
      expect(await engine.promoteDue(at + 1)).toEqual([]);
      expect(await engine.claimJob([s.id], 'w2', 1000)).toMatchObject({ id: a.id, attempt: 2 });
      // One cancelled while it waits leaves nothing behind: its caller's next job joins the current round.
      const held2 = (await engine.claimJob([s.id], 'w3', 60_000))!;
      await engine.releaseJob(ref(held2), { workerId: 'w3', attempt: 1 }, retry, lost, Date.now() + 60_000);
      await engine.endJob(ref(held2), { type: 'cancelled', reason: 'test' });
      expect(await engine.promoteDue(Date.now() + 120_000)).toEqual([]);
      const c = job(s, { fair_by: 'y' });
      expect(await engine.submitJob(c, 10, queued)).toMatchObject({ position: 0 });
      await engine.close();
    });

    it('holds a job submitted for later out of its queue until it is due, then queues it as a new job', async () => {
      const { engine } = await makeEngine();
      const s = space('later');
      await engine.createSpace(s);
      const now = job(s);
      await engine.submitJob(now, 10, queued);
      const at = Date.now() + 60_000;
      const later = job(s, { not_before: at });
      expect(await engine.submitJob(later, 10, queued)).toMatchObject({ position: 1 });
      expect(await engine.queuedJobIds(s.id)).toEqual([now.id]);
      expect(await engine.getJob(later.id)).toMatchObject({ state: 'queued' });
      expect(await engine.claimJob([s.id], 'w', 1000)).toMatchObject({ id: now.id });
      expect(await engine.claimJob([s.id], 'w', 1000)).toBeNull();
      const other = job(s);
      await engine.submitJob(other, 10, queued);
      expect(await engine.promoteDue(at)).toEqual([{ spaceId: s.id, jobId: later.id }]);
      // It joins as a new job would (here first come, first served: the tail), not at the head as a retry does.
      expect(await engine.queuedJobIds(s.id)).toEqual([other.id, later.id]);
      expect(await engine.claimJob([s.id], 'w', 1000)).toMatchObject({ id: other.id, attempt: 1 });
      expect(await engine.claimJob([s.id], 'w', 1000)).toMatchObject({ id: later.id, attempt: 1 });
      await engine.close();
    });

    it('claims from the queue whose head has waited longest, across spaces', async () => {
      const { engine } = await makeEngine();
      const [s, t] = [space('older'), space('newer')];
      await engine.createSpace(s);
      await engine.createSpace(t);
      const [a, b, c] = [job(t), job(s), job(t)];
      for (const j of [a, b, c]) await engine.submitJob(j, 10, queued);
      const order = [];
      for (let i = 0; i < 3; i++) order.push((await engine.claimJob([s.id, t.id], 'w', 1000))!.id);
      expect(order).toEqual([a.id, b.id, c.id]);
      await engine.close();
    });

    it('refuses a submit past its budget with quota_exceeded, per key and per space; a job that ends frees its place', async () => {
      const { engine } = await makeEngine();
      const [s, t] = [space('budget-a'), space('budget-b')];
      await engine.createSpace(s);
      await engine.createSpace(t);
      const quota = { key: 'caller-1', max: 2 };
      const mine = [job(s), job(s)];
      for (const j of mine) await engine.submitJob(j, 100, queued, undefined, quota);
      await expect(engine.submitJob(job(s), 100, queued, undefined, quota)).rejects.toMatchObject({ code: 'quota_exceeded' });
      await engine.submitJob(job(s), 100, queued, undefined, { key: 'caller-2', max: 2 }); // another caller
      await engine.submitJob(job(t), 100, queued, undefined, quota); // another space
      await engine.submitJob(job(s), 100, queued); // no budget: the admin
      await engine.claimJob([s.id], 'w', 1000); // held still counts
      await expect(engine.submitJob(job(s), 100, queued, undefined, quota)).rejects.toMatchObject({ code: 'quota_exceeded' });
      await engine.endJob(ref(mine[1]!), { type: 'cancelled', reason: 'test' });
      await engine.submitJob(job(s), 100, queued, undefined, quota);
      await expect(engine.submitJob(job(s), 100, queued, undefined, quota)).rejects.toMatchObject({ code: 'quota_exceeded' });
      await engine.close();
    });

    it('refuses events from a holder that lost the lease, and requeues at the head', async () => {
      const { engine } = await makeEngine();
      const s = space('lease');
      await engine.createSpace(s);
      const [a, b] = [job(s), job(s)];
      await engine.submitJob(a, 10, queued);
      await engine.submitJob(b, 10, queued);
      expect((await engine.claimJob([s.id], 'w1', 1000))!.id).toBe(a.id);
      const holder = { workerId: 'w1', attempt: 1 };
      expect(await engine.appendEvent(ref(a), { type: 'started', attempt: 1, worker: 'w1' }, holder)).toBe(true);
      expect(await engine.appendEvent(ref(a), token('x'), { workerId: 'w2', attempt: 1 })).toBe(false);
      expect(await engine.readEvents(a.id, 0)).toMatchObject({ epoch: 1, epochSeq: 1 });
      expect(await engine.releaseJob(ref(a), holder, (p) => ({ ...queued(p), attempt: 1 }), lost)).toEqual({ requeued: true });
      // The requeue begins a new epoch at its own event, which says so.
      const afterRequeue = (await engine.readEvents(a.id, 0))!;
      expect(afterRequeue.epoch).toBeGreaterThan(1);
      expect(afterRequeue.epochSeq).toBe(3);
      expect(JSON.parse(afterRequeue.lines[2]!)).toMatchObject({ type: 'queued', seq: 3, attempt: 1, epoch: afterRequeue.epoch });
      expect((await engine.getJob(a.id))!.epoch).toBe(afterRequeue.epoch);
      expect(await engine.appendEvent(ref(a), token('late'), holder)).toBe(false);
      expect(await engine.queuedJobIds(s.id)).toEqual([a.id, b.id]);
      expect(await engine.claimJob([s.id], 'w2', 1000)).toMatchObject({ id: a.id, attempt: 2, worker_id: 'w2' });
      // The second loss exhausts max_attempts (2): the job fails instead of requeueing.
      expect(await engine.releaseJob(ref(a), { workerId: 'w2', attempt: 2 }, queued, lost)).toEqual({ requeued: false });
      expect(await engine.getJob(a.id)).toMatchObject({ state: 'failed', error: { code: 'worker_lost' } });
      expect(await engine.releaseJob(ref(a), { workerId: 'w2', attempt: 2 }, queued, lost)).toBeNull();
      expect(await seqsOf(engine, a.id)).toEqual([1, 2, 3, 4]);
      await engine.close();
    });

    it('moves jobs only along the state machine, and a finished job no further', async () => {
      const { engine } = await makeEngine();
      const s = space('machine');
      await engine.createSpace(s);
      const stateOf = async (id: string) => (await engine.getJob(id))!.state;
      /** The states a job passes through, each step checked against core/job-state.ts. */
      const walk = async (id: string, steps: Array<() => unknown>) => {
        const seen = [await stateOf(id)];
        for (const step of steps) {
          await step();
          const now = await stateOf(id);
          expect(canTransition(seen.at(-1)!, now), `${seen.at(-1)} → ${now}`).toBe(true);
          seen.push(now);
        }
        return seen;
      };
      const a = job(s);
      await engine.submitJob(a, 10, queued);
      const w1 = { workerId: 'w1', attempt: 1 };
      const w2 = { workerId: 'w2', attempt: 2 };
      expect(
        await walk(a.id, [
          () => engine.claimJob([s.id], 'w1', 60_000),
          () => engine.appendEvent(ref(a), { type: 'started', attempt: 1, worker: 'w1' }, w1),
          () => engine.releaseJob(ref(a), w1, (p) => ({ ...queued(p), attempt: 1 }), lost),
          () => engine.claimJob([s.id], 'w2', 60_000),
          () => engine.appendEvent(ref(a), { type: 'result', data: 1, files: [] }, w2, { data: 1, files: [] }),
        ]),
      ).toEqual(['queued', 'assigned', 'running', 'queued', 'assigned', 'completed']);
      // Finished: nothing moves it, and nothing claims it.
      expect(await engine.appendEvent(ref(a), { type: 'failed', code: 'x', message: 'late' }, w2)).toBe(false);
      expect(await engine.endJob(ref(a), { type: 'cancelled', reason: 'late' })).toBeNull();
      expect(await engine.releaseJob(ref(a), w2, queued, lost)).toBeNull();
      expect(await engine.claimJob([s.id], 'w3', 60_000)).toBeNull();
      expect(await stateOf(a.id)).toBe('completed');
      // The other ends: a queued job cancelled, a held one timed out, a running one failed by its worker.
      const [b, c, d] = [job(s), job(s), job(s)];
      await engine.submitJob(b, 10, queued);
      expect(await walk(b.id, [() => engine.endJob(ref(b), { type: 'cancelled', reason: 'test' })])).toEqual(['queued', 'cancelled']);
      await engine.submitJob(c, 10, queued);
      await engine.submitJob(d, 10, queued);
      expect(await walk(c.id, [() => engine.claimJob([s.id], 'w4', 60_000), () => engine.endJob(ref(c), { type: 'timed_out', message: 'test' })])).toEqual(['queued', 'assigned', 'timed_out']);
      const w5 = { workerId: 'w5', attempt: 1 };
      expect(
        await walk(d.id, [
          () => engine.claimJob([s.id], 'w5', 60_000),
          () => engine.appendEvent(ref(d), { type: 'started', attempt: 1, worker: 'w5' }, w5),
          () => engine.appendEvent(ref(d), { type: 'failed', code: 'worker_error', message: 'test' }, w5),
        ]),
      ).toEqual(['queued', 'assigned', 'running', 'failed']);
      await engine.close();
    });

    it('numbers events from 1, ends jobs on final events, and refuses appends after', async () => {
      const { engine } = await makeEngine();
      const { j, h } = await heldJob(engine, 'events');
      for (const t of ['a', 'b', 'c']) expect(await engine.appendEvent(ref(j), token(t), h)).toBe(true);
      expect(await engine.appendEvent(ref(j), { type: 'result', data: 'abc', files: [] }, h, { data: 'abc', files: [] })).toBe(true);
      expect(await engine.appendEvent(ref(j), token('d'), h)).toBe(false);
      const range = await engine.readEvents(j.id, 2);
      expect(range).toMatchObject({ firstSeq: 1, lastSeq: 5, final: true });
      expect(range!.lines.map((l) => JSON.parse(l).seq)).toEqual([3, 4, 5]);
      expect(await engine.getJob(j.id)).toMatchObject({ state: 'completed', result: { data: 'abc' } });
      expect(await engine.readEvents('job_unknown', 0)).toBeNull();
      expect(await engine.getJob('job_unknown')).toBeNull();
      await engine.close();
    });

    it('ends a held job and claims its holder’s next one in one step, where the engine has finishAndClaim, and neither for a stale holder', async () => {
      const { engine } = await makeEngine();
      if (!engine.finishAndClaim) return void (await engine.close());
      const s = space('finish-claim', { max_queue: 10 });
      await engine.createSpace(s);
      const [a, b] = [job(s), job(s)];
      for (const j of [a, b]) await engine.submitJob(j, 10, queued);
      await engine.claimJob([s.id], 'w', 60_000);
      const result: JobEvent = { type: 'result', data: 'ok', files: [] };
      const next = { spaceIds: [s.id], leaseMs: 60_000 };
      expect(await engine.finishAndClaim(ref(a), result, { workerId: 'other', attempt: 1 }, { data: 'ok', files: [] }, next)).toEqual({ kept: false, next: null });
      expect(await engine.queuedJobIds(s.id)).toEqual([b.id]);
      // A `started` sent in the same turn goes with it (Redis: in its script), in order.
      const holder = { workerId: 'w', attempt: 1 };
      const heard = heardOf(engine, a.id);
      const started = engine.appendEvent(ref(a), { type: 'started', attempt: 1, worker: 'w' }, holder);
      const out = await engine.finishAndClaim(ref(a), result, holder, { data: 'ok', files: [] }, next);
      expect(await started).toBe(true);
      expect(out).toMatchObject({ kept: true, next: { id: b.id, state: 'assigned', worker_id: 'w', attempt: 1 } });
      expect(out.next).toEqual(await engine.getJob(b.id));
      expect(await engine.getJob(a.id)).toMatchObject({ state: 'completed', result: { data: 'ok' }, started_at: expect.any(Number) });
      expect((await engine.readEvents(a.id, 0))!.lines.map((l) => JSON.parse(l).type)).toEqual(['queued', 'started', 'result']);
      await until(() => heard.events.length === 2);
      expect(heard.events.map((e) => [e.line.seq, e.line.type])).toEqual([
        [2, 'started'],
        [3, 'result'],
      ]);
      heard.off();
      expect(await engine.queuedJobIds(s.id)).toEqual([]);
      const last = await engine.finishAndClaim(ref(b), result, { workerId: 'w', attempt: 1 }, { data: 'ok', files: [] }, next);
      expect(last.kept).toBe(true);
      // Nothing to claim: none, or where the engine parks slots, the slot waits for the next job.
      if (engine.claimOrPark) {
        expect(isParked(last.next)).toBe(true);
        const c = job(s);
        await engine.submitJob(c, 10, queued);
        const handed = await (last.next as ParkedClaim).assigned;
        expect(handed).toMatchObject({ id: c.id, state: 'assigned', worker_id: 'w', attempt: 1 });
        // What the slot was handed is the job as stored, field for field.
        expect(handed).toEqual(await engine.getJob(c.id));
      } else expect(last.next).toBeNull();
      // Started and ended in one step (a): counted from assigned to completed, nothing left running.
      expect(await engine.countJobs()).toMatchObject({ completed: 2, queued: 0, running: 0, assigned: engine.claimOrPark ? 1 : 0 });
      await engine.close();
    });

    it('parks a slot that finds its queues empty, where the engine has claimOrPark: the next job of any of its spaces is its, whatever queued it, until it is withdrawn', async () => {
      const made = await makeEngine();
      const { engine } = made;
      if (!engine.claimOrPark || !engine.unpark) return void (await engine.close());
      // Another instance sharing the store, where there is one: a slot parked on one takes the other's submits.
      const other = made.leasesSurviveReopen && made.reopen ? await made.reopen() : engine;
      const [s, t] = [space('park-a', { max_queue: 10 }), space('park-b', { max_queue: 10 })];
      for (const x of [s, t]) await engine.createSpace(x);
      const parked = (await engine.claimOrPark([s.id, t.id], 'w1', 60_000)) as ParkedClaim;
      expect(isParked(parked)).toBe(true);
      const second = (await engine.claimOrPark([s.id], 'w2', 60_000)) as ParkedClaim;
      // A submit goes to the slot that parked first, in its own step: nothing is left queued to claim.
      const a = job(t);
      await other.submitJob(a, 10, queued);
      expect(await parked.assigned).toMatchObject({ id: a.id, state: 'assigned', worker_id: 'w1', attempt: 1 });
      expect(await engine.queuedJobIds(t.id)).toEqual([]);
      // w1's slot left every queue it waited in: the next job of s is w2's.
      const b = job(s);
      await other.submitJob(b, 10, queued);
      expect(await second.assigned).toMatchObject({ id: b.id, worker_id: 'w2' });
      // A requeue goes to a parked slot as a submit does.
      const third = (await engine.claimOrPark([s.id], 'w3', 60_000)) as ParkedClaim;
      expect(await other.releaseJob(ref(b), { workerId: 'w2', attempt: 1 }, (p) => ({ ...queued(p), attempt: 1 }), lost)).toEqual({ requeued: true });
      expect(await third.assigned).toMatchObject({ id: b.id, worker_id: 'w3', attempt: 2 });
      expect(await engine.countJobs()).toMatchObject({ queued: 0, assigned: 2 });
      // So does a job submitted for later, once it is due (and not before).
      const at = Date.now() + 60_000;
      const later = job(s, { not_before: at });
      const waiting = (await engine.claimOrPark([s.id], 'w5', 60_000)) as ParkedClaim;
      await other.submitJob(later, 10, queued);
      expect(await engine.getJob(later.id)).toMatchObject({ state: 'queued' });
      expect(await other.promoteDue(at)).toEqual([{ spaceId: s.id, jobId: later.id }]);
      expect(await waiting.assigned).toMatchObject({ id: later.id, worker_id: 'w5', attempt: 1 });
      // A job found at once is claimed, not parked for; a withdrawn slot is answered null and takes nothing.
      const c = job(s);
      await engine.submitJob(c, 10, queued);
      expect(await engine.claimOrPark([s.id], 'w4', 60_000)).toMatchObject({ id: c.id, worker_id: 'w4' });
      const fourth = (await engine.claimOrPark([s.id], 'w4', 60_000)) as ParkedClaim;
      await engine.unpark('w4');
      expect(await fourth.assigned).toBeNull();
      const d = job(s);
      await other.submitJob(d, 10, queued);
      expect(await engine.queuedJobIds(s.id)).toEqual([d.id]);
      if (other !== engine) await other.close();
      await engine.close();
    });

    it('publishes every event it appends, once, in log order, and nothing it refuses', async () => {
      const { engine } = await makeEngine();
      const s = space('publishes');
      await engine.createSpace(s);
      const [a, b] = [job(s), job(s)];
      const heard = heardOf(engine, a.id);
      await engine.submitJob(a, 10, queued);
      await engine.submitJob(b, 10, queued);
      await engine.claimJob([s.id], 'w', 60_000);
      const h = { workerId: 'w', attempt: 1 };
      await engine.appendEvent(ref(a), { type: 'started', attempt: 1, worker: 'w' }, h);
      await engine.appendEvent(ref(a), token('x'), { workerId: 'stranger', attempt: 1 }); // refused
      await engine.releaseJob(ref(a), h, (p) => ({ ...queued(p), attempt: 1 }), lost);
      await engine.tellPositions(s.id, [{ id: a.id, position: 0, line: positionLine(a.id, 0, null) }]); // what the requeue told: refused
      await engine.endJob(ref(a), { type: 'cancelled', reason: 'test' });
      await until(() => heard.events.length === 4);
      await new Promise((r) => setTimeout(r, 20)); // nothing more is on its way
      const logged = (await engine.readEvents(a.id, 0))!.lines.map((l) => JSON.parse(l));
      expect(heard.events.map((e) => e.line)).toEqual(logged);
      expect(logged.map((l) => l.type)).toEqual(['queued', 'started', 'queued', 'cancelled']);
      expect(heard.events.every((e) => e.spaceId === s.id && e.ownerId === a.owner.id)).toBe(true);
      heard.off();
      await engine.close();
    });

    it('keeps the order and seqs of a burst of events sent without waiting, published in order, and of the final after it', async () => {
      const { engine } = await makeEngine();
      const { j, h } = await heldJob(engine, 'burst');
      const heard = heardOf(engine, j.id);
      // As a fast worker's frames arrive: started and many tokens in one turn of the event loop, the result right behind.
      const started = engine.appendEvent(ref(j), { type: 'started', attempt: 1, worker: 'w' }, h);
      const tokens = Array.from({ length: 200 }, (_, i) => engine.appendEvent(ref(j), token(`t${i}`), h));
      const stranger = engine.appendEvent(ref(j), token('not yours'), { workerId: 'w2', attempt: 1 });
      const final = engine.appendEvent(ref(j), { type: 'result', data: 'done', files: [] }, h, { data: 'done', files: [] });
      expect(await started).toBe(true);
      expect(await Promise.all(tokens)).toEqual(tokens.map(() => true));
      expect(await stranger).toBe(false);
      expect(await final).toBe(true);
      const lines = (await engine.readEvents(j.id, 0))!.lines.map((l) => JSON.parse(l));
      expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 203 }, (_, i) => i + 1));
      expect(lines.slice(2, 202).map((l) => l.text)).toEqual(Array.from({ length: 200 }, (_, i) => `t${i}`));
      expect(lines[202].type).toBe('result');
      await until(() => heard.events.length === 202);
      expect(heard.events.map((e) => e.line)).toEqual(lines.slice(1));
      heard.off();
      await engine.close();
    });

    it('moves a job to running with a `started` sent in one turn with the tokens behind it', async () => {
      const { engine } = await makeEngine();
      const { j, h } = await heldJob(engine, 'started-burst');
      const kept = [engine.appendEvent(ref(j), { type: 'started', attempt: 1, worker: 'w' }, h), ...Array.from({ length: 50 }, (_, i) => engine.appendEvent(ref(j), token(`t${i}`), h))];
      expect(await Promise.all(kept)).toEqual(kept.map(() => true));
      expect(await engine.getJob(j.id)).toMatchObject({ state: 'running' });
      expect((await engine.getJob(j.id))!.started_at).toBeGreaterThan(0);
      await engine.close();
    });

    it('tells each queue position once, from any instance, publishes it without logging it, and none once the job left the queue', async () => {
      const made = await makeEngine();
      const { engine } = made;
      const s = space('positions');
      await engine.createSpace(s);
      const [first, second] = [job(s), job(s)];
      await engine.submitJob(first, 10, queued);
      await engine.submitJob(second, 10, queued); // told position 1
      const heard = heardOf(engine, second.id);
      // Told by id and space: the engine finds the owner the event names.
      const tell = async (on: typeof engine, j: Job, position: number) => (await on.tellPositions(j.space_id, [{ id: j.id, position, line: positionLine(j.id, position, null) }]))[0];
      expect(await tell(engine, second, 1)).toBe(false); // what its submit said
      expect(await tell(engine, second, 0)).toBe(true);
      await until(() => heard.events.some((h) => h.line.type === 'position' && (h.line as { position?: number }).position === 0));
      expect(heard.events.find((h) => h.line.type === 'position')).toMatchObject({ spaceId: s.id, ownerId: second.owner.id });
      heard.off();
      // Another instance watching the same queue sees the same change: already told.
      const other = made.reopen && made.leasesSurviveReopen ? await made.reopen() : engine;
      expect(await tell(other, second, 0)).toBe(false);
      await engine.claimJob([s.id], 'w', 1000);
      await engine.claimJob([s.id], 'w', 1000);
      expect(await tell(engine, second, 3)).toBe(false); // held now, not queued
      expect(await seqsOf(engine, second.id)).toEqual([1]); // nothing of it in the log
      // A requeue tells position 0 of its new attempt; an update saying the same is skipped.
      await engine.releaseJob(ref(first), { workerId: 'w', attempt: 1 }, (position) => ({ type: 'queued', position, eta_ms: null, attempt: 1, reason: 'lost' }), lost);
      expect(await tell(engine, first, 0)).toBe(false);
      expect(await tell(engine, first, 1)).toBe(true);
      expect(await seqsOf(engine, first.id)).toEqual([1, 2]);
      if (other !== engine) await other.close();
      await engine.close();
    });

    it('tells many positions in one call: each answered in order, the refused ones (told already, another space’s, not queued, unknown) not published, each published one naming its own owner', async () => {
      const { engine } = await makeEngine();
      const [s, elsewhere] = [space('many-positions', { max_queue: 10 }), space('elsewhere')];
      await engine.createSpace(s);
      await engine.createSpace(elsewhere);
      const [held, a, b, c] = [job(s), job(s), job(s), job(s)];
      const stranger = job(elsewhere);
      for (const j of [held, a, b, c]) await engine.submitJob(j, 10, queued);
      await engine.submitJob(stranger, 10, queued);
      await engine.claimJob([s.id], 'w', 60_000); // `held` leaves the queue
      const heard = [a, b, c, held, stranger].map((j) => heardOf(engine, j.id));
      const update = (j: Job, position: number) => ({ id: j.id, position, line: positionLine(j.id, position, null) });
      const told = await engine.tellPositions(s.id, [update(a, 0), update(held, 0), update(b, 2), update(stranger, 0), update(c, 2), update(job(s), 0)]);
      // b was told 2 at its submit; c moved from 3 to 2.
      expect(told).toEqual([true, false, false, false, true, false]);
      await until(() => heard[0]!.events.length === 1 && heard[2]!.events.length === 1);
      await new Promise((r) => setTimeout(r, 20)); // nothing more is on its way
      expect(heard.map((h) => h.events.length)).toEqual([1, 0, 1, 0, 0]);
      expect(heard[0]!.events[0]).toMatchObject({ spaceId: s.id, ownerId: a.owner.id, line: { type: 'position', position: 0 } });
      expect(heard[2]!.events[0]).toMatchObject({ spaceId: s.id, ownerId: c.owner.id, line: { type: 'position', position: 2 } });
      expect(await engine.tellPositions(s.id, [])).toEqual([]);
      for (const h of heard) h.off();
      await engine.close();
    });

    it('lets one instance at a time claim telling a queue’s moves up to given counts, at most once per given interval, where the engine has claimPositionTelling; a space made anew starts again; each part of the queue apart', async () => {
      const made = await makeEngine();
      const { engine } = made;
      if (!engine.claimPositionTelling) return void (await engine.close());
      const other = made.reopen ? await made.reopen() : engine;
      const s = space('telling');
      await engine.createSpace(s);
      expect(await engine.claimPositionTelling(s.id, 0, 0, 0, 'near')).toEqual({}); // nothing told before
      expect(await other.claimPositionTelling!(s.id, 0, 0, 0, 'near')).toBeNull(); // the same counts: claimed already
      // Three departures since: the claim says where the last one stopped, so its moves are worked out from there.
      expect(await other.claimPositionTelling!(s.id, 3, 0, 0, 'near')).toEqual({ toldUpTo: { departures: 0, insertionsAhead: 0 } });
      expect(await engine.claimPositionTelling(s.id, 2, 0, 0, 'near')).toBeNull(); // counts read before that claim
      expect(await engine.claimPositionTelling(s.id, 3, 1, 0, 'near')).toEqual({ toldUpTo: { departures: 3, insertionsAhead: 0 } }); // an insertion ahead moves jobs too
      // At most one claim a minute: one sooner waits and claims nothing (the next still learns where the last stopped).
      expect(await other.claimPositionTelling!(s.id, 5, 1, 60_000, 'near')).toBe('later');
      expect(await other.claimPositionTelling!(s.id, 3, 1, 60_000, 'near')).toBeNull(); // nothing new: no wait to tell
      expect(await engine.claimPositionTelling(s.id, 5, 1, 0, 'near')).toEqual({ toldUpTo: { departures: 3, insertionsAhead: 1 } });
      // Each part of the queue is claimed on its own: the far part's counts are not the head's.
      expect(await other.claimPositionTelling!(s.id, 5, 1, 60_000, 'far')).toEqual({});
      expect(await engine.claimPositionTelling(s.id, 6, 1, 60_000, 'far')).toBe('later');
      await engine.deleteSpace(s.id);
      await engine.createSpace(s);
      expect(await other.claimPositionTelling!(s.id, 0, 0, 60_000, 'near')).toEqual({}); // a space made anew: nothing claimed before
      if (other !== engine) await other.close();
      await engine.close();
    });

    it('ends queued and held jobs with endJob, once, answering the job as it was', async () => {
      const { engine } = await makeEngine();
      const s = space('end');
      await engine.createSpace(s);
      const [q, held] = [job(s), job(s)];
      await engine.submitJob(q, 10, queued);
      await engine.submitJob(held, 10, queued);
      expect(await engine.endJob(ref(q), { type: 'cancelled', reason: 'test' })).toMatchObject({ id: q.id, state: 'queued' });
      expect(await engine.queuedJobIds(s.id)).toEqual([held.id]);
      expect(await engine.endJob(ref(q), { type: 'cancelled', reason: 'again' })).toBeNull();
      await engine.claimJob([s.id], 'w7', 60_000);
      expect(await engine.endJob(ref(held), { type: 'cancelled', reason: 'test' })).toMatchObject({ state: 'assigned', worker_id: 'w7' });
      expect(await engine.getJob(held.id)).toMatchObject({ state: 'cancelled', error: { code: 'cancelled' } });
      expect(await engine.expiredLeases(Date.now() + 120_000)).toEqual([]); // its lease went with it
      await engine.close();
    });

    it('passes a lease to the reconnected worker that still holds it: the same attempt, its log going on', async () => {
      const { engine } = await makeEngine();
      const { j, h } = await heldJob(engine, 'reattach');
      await engine.appendEvent(ref(j), { type: 'started', attempt: 1, worker: 'w' }, h);
      await engine.appendEvent(ref(j), token('before'), h);
      expect(await engine.reattachJob(j.id, { workerId: 'someone', attempt: 1 }, 'w-new', 60_000)).toBeNull();
      expect(await engine.reattachJob(j.id, { workerId: 'w', attempt: 2 }, 'w-new', 60_000)).toBeNull();
      // The attempt's events it has: the worker's `started` and token (not the `queued` before the claim).
      expect(await engine.reattachJob(j.id, h, 'w-new', 60_000)).toEqual({ received: 2 });
      expect(await engine.getJob(j.id)).toMatchObject({ state: 'running', worker_id: 'w-new', attempt: 1 });
      const moved = { workerId: 'w-new', attempt: 1 };
      expect(await engine.appendEvent(ref(j), token('after'), h)).toBe(false); // the old holder no longer
      expect(await engine.appendEvent(ref(j), token('after'), moved)).toBe(true);
      expect(await seqsOf(engine, j.id)).toEqual([1, 2, 3, 4]);
      expect(await engine.expiredLeases(Date.now() + 30_000)).toEqual([]); // the lease was renewed with it
      expect(await engine.reattachJob(j.id, h, 'w-third', 60_000)).toBeNull();
      expect(await engine.reattachJob(j.id, moved, 'w-third', 60_000)).toEqual({ received: 3 });
      await engine.close();
    });

    it('reports expired leases and overdue jobs; renewing keeps only the holder’s leases', async () => {
      const { engine } = await makeEngine();
      const s = space('sweep');
      await engine.createSpace(s);
      const j = job(s, { deadline: Date.now() - 1 });
      const onTime = job(s);
      await engine.submitJob(j, 10, queued);
      await engine.submitJob(onTime, 10, queued);
      await engine.claimJob([s.id], 'w', 1);
      const later = Date.now() + 50;
      expect(await engine.expiredLeases(later)).toEqual([{ jobId: j.id, workerId: 'w', attempt: 1 }]);
      await engine.renewLeases('someone-else', [j.id], 60_000);
      expect(await engine.expiredLeases(later)).toHaveLength(1);
      await engine.renewLeases('w', [j.id], 60_000);
      expect(await engine.expiredLeases(later)).toEqual([]);
      expect((await engine.overdueJobs(Date.now())).map((o) => o.id)).toEqual([j.id]);
      // Earliest first, as many as asked for; none once ended.
      const due = [3, 1, 2].map((ago) => job(s, { deadline: Date.now() - ago * 1000 }));
      for (const d of due) await engine.submitJob(d, 10, queued);
      expect((await engine.overdueJobs(Date.now(), 2)).map((o) => o.id)).toEqual([due[0]!.id, due[2]!.id]);
      await engine.endJob(ref(due[0]!), { type: 'timed_out', message: 'late' });
      expect((await engine.overdueJobs(Date.now())).map((o) => o.id)).toEqual([due[2]!.id, due[1]!.id, j.id]);
      await engine.close();
    });

    it('counts jobs by state and lists them newest first, by space and state', async () => {
      const { engine } = await makeEngine();
      const [s, t] = [space('listed'), space('other-listed')];
      await engine.createSpace(s);
      await engine.createSpace(t);
      const before = await engine.countJobs();
      const mine = [job(s, { created_at: 1000 }), job(s, { created_at: 2000 }), job(s, { created_at: 3000 })];
      for (const j of mine) await engine.submitJob(j, 10, queued);
      await engine.submitJob(job(t, { created_at: 4000 }), 10, queued);
      await engine.claimJob([s.id], 'w', 60_000); // the oldest
      await engine.endJob(ref(mine[1]!), { type: 'cancelled', reason: 'test' });
      const counts = await engine.countJobs();
      expect(counts.queued - before.queued).toBe(2);
      expect(counts.assigned - before.assigned).toBe(1);
      expect(counts.cancelled - before.cancelled).toBe(1);
      expect((await engine.listJobs({ spaceId: s.id, limit: 10 })).map((j) => j.id)).toEqual([mine[2]!.id, mine[1]!.id, mine[0]!.id]);
      expect((await engine.listJobs({ spaceId: s.id, limit: 2 })).map((j) => j.id)).toEqual([mine[2]!.id, mine[1]!.id]);
      expect((await engine.listJobs({ spaceId: s.id, state: 'assigned', limit: 10 })).map((j) => j.id)).toEqual([mine[0]!.id]);
      expect((await engine.listJobs({ spaceId: s.id, state: 'cancelled', limit: 10 }))[0]).toMatchObject({ id: mine[1]!.id, state: 'cancelled' });
      await engine.close();
    });

    it('purges finished jobs with their events and blobs once past retention, and nothing unfinished', async () => {
      const { engine } = await makeEngine();
      const { j, h } = await heldJob(engine, 'retention');
      const s = space('retention-2');
      await engine.createSpace(s);
      const waiting = job(s);
      await engine.submitJob(waiting, 10, queued);
      await engine.putBlob({ id: `blob_${j.id}`, name: 'out.txt', mime: 'text/plain', size: 2, created_at: 1, job_id: j.id }, Buffer.from('hi'));
      await engine.appendEvent(ref(j), { type: 'result', data: 'hi', files: [] }, h, { data: 'hi', files: [] });
      const finishedAt = (await engine.getJob(j.id))!.finished_at!;
      expect(await engine.purgeFinishedBefore(finishedAt)).toBe(0); // not before: kept
      expect(await engine.purgeFinishedBefore(finishedAt + 1)).toBe(1);
      expect(await engine.getJob(j.id)).toBeNull();
      expect(await engine.readEvents(j.id, 0)).toBeNull();
      expect(await engine.getBlob(`blob_${j.id}`)).toBeNull();
      expect(await engine.getJob(waiting.id)).toMatchObject({ state: 'queued' });
      expect(await engine.purgeFinishedBefore(Date.now() + 60_000)).toBe(0);
      expect(await engine.countJobs()).toMatchObject({ queued: 1, completed: 0 }); // the purged one no longer counted
      await engine.close();
    });

    it('keeps accepted jobs, their order and their events across a reopen', async () => {
      const made = await makeEngine();
      if (!made.reopen) return void (await made.engine.close());
      const s = space('durable');
      await made.engine.createSpace(s);
      const jobs = [job(s), job(s)];
      for (const j of jobs) await made.engine.submitJob(j, 10, queued);
      const held = await made.engine.claimJob([s.id], 'w', 60_000);
      await made.engine.appendEvent(ref(held!), token('kept'), { workerId: 'w', attempt: 1 });
      await made.engine.close();
      const engine = await made.reopen();
      expect(await engine.queuedJobIds(s.id)).toEqual([jobs[1]!.id]);
      // A clean close lost nothing: no epoch begins, and the job a worker held stays its own, so
      // that worker can re-attach (a crash is another matter: test/integration/restart.test.ts).
      expect(await engine.readEvents(jobs[1]!.id, 0)).toMatchObject({ epoch: 1, epochSeq: 1, lastSeq: 1 });
      expect(await engine.getJob(jobs[0]!.id)).toMatchObject({ state: 'assigned', worker_id: 'w', attempt: 1 });
      expect(await engine.countJobs()).toMatchObject({ queued: 1, assigned: 1, running: 0 });
      expect(await engine.expiredLeases(Date.now())).toEqual([]);
      expect(await engine.reattachJob(jobs[0]!.id, { workerId: 'w', attempt: 1 }, 'w-again', 60_000)).toEqual({ received: 1 }); // counted across the reopen
      expect((await engine.readEvents(jobs[0]!.id, 0))!.lines.map((l) => JSON.parse(l).type)).toEqual(['queued', 'token']);
      await engine.close();
    });
  });
}
