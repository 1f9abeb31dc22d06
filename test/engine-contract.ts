import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canTransition } from '../src/core/job-state.ts';
import type { JobEvent } from '../src/protocol/job-events.ts';
import type { Job, Session, Space } from '../src/core/types.ts';
import type { Engine } from '../src/core/engine-port.ts';

/**
 * The contract every engine passes (the MUSTs of src/core/engine-port.ts). `makeEngine` returns a
 * fresh, isolated engine; `reopen` (when the engine is durable) a new engine over the same storage.
 */
/** Waits until `done()` holds (bus messages arrive on their own time). */
async function until(done: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !done(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() > deadline) throw new Error('timed out');
  }
}

export function runEngineContract(
  name: string,
  makeEngine: () => Promise<{
    engine: Engine;
    reopen?: () => Promise<Engine>;
    /** A shared engine (Redis): another instance reopening keeps the leases other instances hold. */
    leasesSurviveReopen?: boolean;
  }>,
): void {
  const space = (n: string): Space => ({
    id: `space_${n}`,
    name: n,
    description: '',
    inputs: { prompt: { max_bytes: 100, mime: [] } },
    timeout_s: 60,
    max_queue: 3,
    max_attempts: 2,
    access: 'public',
    created_at: 1,
    updated_at: 1,
  });
  let seq = 0;
  const job = (s: Space): Job => ({
    id: `job_${++seq}_${Math.random().toString(36).slice(2)}`,
    space_id: s.id,
    space: s.name,
    owner: { kind: 'anonymous', id: 'anonymous', name: 'anonymous' },
    state: 'queued',
    attempt: 0,
    max_attempts: s.max_attempts,
    inputs: { files: [] },
    created_at: Date.now(),
    deadline: Date.now() + 60_000,
  });
  const queued = (position: number): JobEvent => ({ type: 'queued', position, eta_ms: null, attempt: 0 });
  const lost: JobEvent = { type: 'failed', code: 'worker_lost', message: 'lost' };
  /** A space of its own with one job in it, claimed by worker `w`: the job and its holder. */
  const heldJob = async (engine: Engine, spaceName: string) => {
    const s = space(spaceName);
    await engine.createSpace(s);
    const j = job(s);
    await engine.submitJob(j, 10, queued);
    await engine.claimJob([s.id], 'w', 1000);
    return { j, h: { workerId: 'w', attempt: 1 } };
  };

  describe(`engine contract: ${name}`, () => {
    it('refuses a duplicate space name (case-sensitive) with space_exists', async () => {
      const { engine } = await makeEngine();
      await engine.createSpace(space('Alpha'));
      await expect(engine.createSpace({ ...space('Alpha'), id: 'other' })).rejects.toMatchObject({ code: 'space_exists' });
      await engine.createSpace({ ...space('alpha'), id: 'lower' });
      expect((await engine.listSpaces()).map((s) => s.name).sort()).toEqual(['Alpha', 'alpha']);
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
      await engine.endJob(mine[1]!.id, { type: 'cancelled', reason: 'test' });
      await engine.submitJob(job(s), 100, queued, undefined, quota);
      await expect(engine.submitJob(job(s), 100, queued, undefined, quota)).rejects.toMatchObject({ code: 'quota_exceeded' });
      await engine.close();
    });

    it('keeps uploads from their files, counts them per owner until a job claims them, and purges the unclaimed', async () => {
      const { engine } = await makeEngine();
      const dir = mkdtempSync(join(tmpdir(), 'spaceport-uploads-'));
      try {
        const put = async (id: string, text: string, createdAt: number) => {
          const file = join(dir, `${id}.part`);
          writeFileSync(file, text);
          await engine.putUpload({ id, name: `${id}.txt`, mime: 'text/plain', size: text.length, created_at: createdAt, job_id: null, owner: 'owner-1' }, file);
          expect(existsSync(file)).toBe(false); // the engine took the file over
        };
        const id = (n: string) => `blob_${n}_${Math.random().toString(36).slice(2)}`;
        const [kept, dropped] = [id('kept'), id('dropped')];
        await put(kept, 'claimed by a job', 1000);
        await put(dropped, 'nobody wants me', 1000);
        expect(await engine.uploadedBytes('owner-1')).toBe('claimed by a job'.length + 'nobody wants me'.length);
        expect(await engine.uploadedBytes('owner-2')).toBe(0);
        expect((await engine.getBlob(kept))!.bytes.toString()).toBe('claimed by a job');
        await engine.claimUpload(kept, 'job_1');
        await engine.claimUpload(kept, 'job_2'); // already a job's: nothing changes
        expect(await engine.uploadedBytes('owner-1')).toBe('nobody wants me'.length);
        expect((await engine.getBlob(kept))!.meta.job_id).toBe('job_1');
        expect(await engine.purgeUploadsBefore(2000)).toBe(1);
        expect(await engine.getBlob(dropped)).toBeNull();
        expect(await engine.getBlob(kept)).not.toBeNull();
        expect(await engine.uploadedBytes('owner-1')).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await engine.close();
      }
    });

    it('queues FIFO, refuses past max_queue, and never hands one job to two claims', async () => {
      const { engine } = await makeEngine();
      const s = space('fifo');
      await engine.createSpace(s);
      const jobs = [job(s), job(s), job(s)];
      for (const [i, j] of jobs.entries()) expect((await engine.submitJob(j, 3, queued)).position).toBe(i);
      await expect(engine.submitJob(job(s), 3, queued)).rejects.toMatchObject({ code: 'queue_full' });
      const claims = await Promise.all([1, 2, 3, 4, 5].map((w) => engine.claimJob([s.id], `w${w}`, 1000)));
      const got = claims.filter((c): c is Job => c !== null);
      expect(got.map((j) => j.id)).toEqual(jobs.map((j) => j.id));
      expect(new Set(got.map((j) => j.worker_id)).size).toBe(3);
      expect(got.every((j) => j.state === 'assigned' && j.attempt === 1)).toBe(true);
      await engine.close();
    });

    it('refuses events from a holder that lost the lease, and requeues at the head', async () => {
      const { engine } = await makeEngine();
      const s = space('lease');
      await engine.createSpace(s);
      const a = job(s);
      const b = job(s);
      await engine.submitJob(a, 10, queued);
      await engine.submitJob(b, 10, queued);
      const claimed = await engine.claimJob([s.id], 'w1', 1000);
      expect(claimed!.id).toBe(a.id);
      const holder = { workerId: 'w1', attempt: 1 };
      expect(await engine.appendEvent(a.id, { type: 'started', attempt: 1, worker: 'w1' }, holder)).toMatchObject({ seq: 2 });
      expect(await engine.appendEvent(a.id, { type: 'token', text: 'x' }, { workerId: 'w2', attempt: 1 })).toBeNull();
      const released = await engine.releaseJob(a.id, holder, (p) => ({ ...queued(p), attempt: 1 }), lost);
      expect(released).toMatchObject({ requeued: true });
      expect(await engine.appendEvent(a.id, { type: 'token', text: 'late' }, holder)).toBeNull();
      expect(await engine.queuedJobIds(s.id)).toEqual([a.id, b.id]);
      const again = await engine.claimJob([s.id], 'w2', 1000);
      expect(again).toMatchObject({ id: a.id, attempt: 2, worker_id: 'w2' });
      // The second loss exhausts max_attempts (2): the job fails instead of requeueing.
      const exhausted = await engine.releaseJob(a.id, { workerId: 'w2', attempt: 2 }, queued, lost);
      expect(exhausted).toMatchObject({ requeued: false });
      expect(await engine.getJob(a.id)).toMatchObject({ state: 'failed', error: { code: 'worker_lost' } });
      await engine.close();
    });

    it('moves jobs only along the state machine, and a finished job no further', async () => {
      const { engine } = await makeEngine();
      const s = space('machine');
      await engine.createSpace(s);
      const stateOf = async (id: string) => (await engine.getJob(id))!.state;
      /** The states a job passes through, each step checked against core/job-state.ts. */
      const walk = async (id: string, steps: Array<() => Promise<unknown>>) => {
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
          async () => engine.claimJob([s.id], 'w1', 60_000),
          async () => engine.appendEvent(a.id, { type: 'started', attempt: 1, worker: 'w1' }, w1),
          () => engine.releaseJob(a.id, w1, (p) => ({ ...queued(p), attempt: 1 }), lost),
          async () => engine.claimJob([s.id], 'w2', 60_000),
          async () => engine.appendEvent(a.id, { type: 'result', data: 1, files: [] }, w2, { data: 1, files: [] }),
        ]),
      ).toEqual(['queued', 'assigned', 'running', 'queued', 'assigned', 'completed']);
      // Finished: nothing moves it, and nothing claims it.
      expect(await engine.appendEvent(a.id, { type: 'failed', code: 'x', message: 'late' }, w2)).toBeNull();
      expect(await engine.endJob(a.id, { type: 'cancelled', reason: 'late' })).toBeNull();
      expect(await engine.releaseJob(a.id, w2, queued, lost)).toBeNull();
      expect(await engine.claimJob([s.id], 'w3', 60_000)).toBeNull();
      expect(await stateOf(a.id)).toBe('completed');
      // The other ends: a queued job cancelled, a held one timed out, a running one failed by its worker.
      const [b, c, d] = [job(s), job(s), job(s)];
      await engine.submitJob(b, 10, queued);
      expect(await walk(b.id, [() => engine.endJob(b.id, { type: 'cancelled', reason: 'test' })])).toEqual(['queued', 'cancelled']);
      await engine.submitJob(c, 10, queued);
      await engine.submitJob(d, 10, queued);
      expect(await walk(c.id, [async () => engine.claimJob([s.id], 'w4', 60_000), () => engine.endJob(c.id, { type: 'timed_out', message: 'test' })])).toEqual(['queued', 'assigned', 'timed_out']);
      const w5 = { workerId: 'w5', attempt: 1 };
      expect(
        await walk(d.id, [
          async () => engine.claimJob([s.id], 'w5', 60_000),
          async () => engine.appendEvent(d.id, { type: 'started', attempt: 1, worker: 'w5' }, w5),
          async () => engine.appendEvent(d.id, { type: 'failed', code: 'worker_error', message: 'test' }, w5),
        ]),
      ).toEqual(['queued', 'assigned', 'running', 'failed']);
      await engine.close();
    });

    it('numbers events from 1, ends jobs on final events, and refuses appends after', async () => {
      const { engine } = await makeEngine();
      const { j, h } = await heldJob(engine, 'events');
      for (const t of ['a', 'b', 'c']) await engine.appendEvent(j.id, { type: 'token', text: t }, h);
      const final = await engine.appendEvent(j.id, { type: 'result', data: 'abc', files: [] }, h, { data: 'abc', files: [] });
      expect(final!.seq).toBe(5);
      expect(await engine.appendEvent(j.id, { type: 'token', text: 'd' }, h)).toBeNull();
      const range = await engine.readEvents(j.id, 2);
      expect(range).toMatchObject({ firstSeq: 1, lastSeq: 5, final: true });
      expect(range!.lines.map((l) => JSON.parse(l).seq)).toEqual([3, 4, 5]);
      expect(await engine.getJob(j.id)).toMatchObject({ state: 'completed', result: { data: 'abc' } });
      expect(await engine.readEvents('job_unknown', 0)).toBeNull();
      await engine.close();
    });

    it('keeps the order and seqs of a burst of streamed events sent without waiting, and of the final after it', async () => {
      const { engine } = await makeEngine();
      const { j, h } = await heldJob(engine, 'burst');
      // As a fast worker's frames arrive: many in one turn of the event loop, the result right behind.
      const tokens = Array.from({ length: 200 }, (_, i) => engine.appendEvent(j.id, { type: 'token', text: `t${i}` }, h));
      const stranger = engine.appendEvent(j.id, { type: 'token', text: 'not yours' }, { workerId: 'w2', attempt: 1 });
      const final = engine.appendEvent(j.id, { type: 'result', data: 'done', files: [] }, h, { data: 'done', files: [] });
      expect((await Promise.all(tokens)).map((a) => a!.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 2));
      expect(await stranger).toBeNull();
      expect((await final)!.seq).toBe(202);
      const lines = (await engine.readEvents(j.id, 0))!.lines.map((l) => JSON.parse(l));
      expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 202 }, (_, i) => i + 1));
      expect(lines.slice(1, 201).map((l) => l.text)).toEqual(Array.from({ length: 200 }, (_, i) => `t${i}`));
      expect(lines[201].type).toBe('result');
      await engine.close();
    });

    it('appends and publishes streamed events in one step where it can, in order with what is published around them', async () => {
      const { engine } = await makeEngine();
      if (!engine.appendStreamed) return void (await engine.close()); // optional (the embedded engine answers at once instead)
      const { j, h } = await heldJob(engine, 'streamed');
      const got: Array<{ owner: string; line: { seq: number; type: string; text?: string } }> = [];
      const off = engine.subscribe({
        message: () => {},
        jobEvent: (_s, jobId, owner, line) => void (jobId === j.id && got.push({ owner, line: JSON.parse(line) })),
      });
      const started = await engine.appendEvent(j.id, { type: 'started', attempt: 1, worker: 'w' }, h);
      engine.publishEvent(j.space_id, j.id, 'owner_1', started!.line);
      const route = { id: j.id, spaceId: j.space_id, ownerId: 'owner_1' };
      // In the turn the started event's publish is still gathered: it must leave first.
      const tokens = Array.from({ length: 200 }, (_, i) => engine.appendStreamed!(route, { type: 'token', text: `t${i}` }, h));
      const stranger = engine.appendStreamed(route, { type: 'token', text: 'not yours' }, { workerId: 'w2', attempt: 1 });
      const result = engine.appendEvent(j.id, { type: 'result', data: 'done', files: [] }, h, { data: 'done', files: [] });
      expect(new Set(tokens).size).toBe(1); // one batch, one promise
      expect(await Promise.all(tokens)).toEqual(tokens.map(() => true));
      expect(await stranger).toBe(false);
      engine.publishEvent(j.space_id, j.id, 'owner_1', (await result)!.line);
      await until(() => got.length === 202);
      expect(got.map((g) => g.line.seq)).toEqual(Array.from({ length: 202 }, (_, i) => i + 2));
      expect(got.slice(1, 201).map((g) => g.line.text)).toEqual(Array.from({ length: 200 }, (_, i) => `t${i}`));
      expect(got.map((g) => g.owner)).toEqual(got.map(() => 'owner_1'));
      const logged = (await engine.readEvents(j.id, 0))!.lines.map((l) => JSON.parse(l) as { seq: number; text?: string });
      expect(logged.map((l) => l.seq)).toEqual(Array.from({ length: 203 }, (_, i) => i + 1));
      expect(logged.some((l) => l.text === 'not yours')).toBe(false);
      off();
      await engine.close();
    });

    it('moves a job to running with a `started` appended in one step with the tokens behind it, all published in order', async () => {
      const { engine } = await makeEngine();
      if (!engine.appendStreamed) return void (await engine.close());
      const { j, h } = await heldJob(engine, 'started-streamed');
      const got: number[] = [];
      const off = engine.subscribe({ message: () => {}, jobEvent: (_s, jobId, _o, line) => void (jobId === j.id && got.push(JSON.parse(line).seq)) });
      const route = { id: j.id, spaceId: j.space_id, ownerId: 'owner_1' };
      // As a worker sends them: started and its first tokens in one read.
      const kept = [
        engine.appendStreamed(route, { type: 'started', attempt: 1, worker: 'w' }, h),
        ...Array.from({ length: 50 }, (_, i) => engine.appendStreamed!(route, { type: 'token', text: `t${i}` }, h)),
      ];
      expect(await Promise.all(kept)).toEqual(kept.map(() => true));
      expect(await engine.getJob(j.id)).toMatchObject({ state: 'running' });
      await until(() => got.length === 51);
      expect(got).toEqual(Array.from({ length: 51 }, (_, i) => i + 2));
      off();
      await engine.close();
    });

    it('tells each queue position once, from any instance, and none once the job left the queue', async () => {
      const made = await makeEngine();
      const { engine } = made;
      const s = space('positions');
      await engine.createSpace(s);
      const [first, second] = [job(s), job(s)];
      await engine.submitJob(first, 10, queued);
      await engine.submitJob(second, 10, queued); // told position 1
      const update = (position: number, attempt = 0): JobEvent => ({ type: 'queued', position, eta_ms: null, attempt });
      expect(await engine.appendEvent(second.id, update(1))).toBeNull(); // what its submit said
      expect((await engine.appendEvent(second.id, update(0)))!.seq).toBe(2);
      // Another instance watching the same queue sees the same change: already told.
      const other = made.reopen && made.leasesSurviveReopen ? await made.reopen() : engine;
      expect(await other.appendEvent(second.id, update(0))).toBeNull();
      await engine.claimJob([s.id], 'w', 1000);
      await engine.claimJob([s.id], 'w', 1000);
      expect(await engine.appendEvent(second.id, update(0, 1))).toBeNull(); // held now, not queued
      expect((await engine.readEvents(second.id, 0))!.lines.map((l) => JSON.parse(l).position)).toEqual([1, 0]);
      // A requeue tells position 0 of its attempt; an update saying the same is skipped.
      await engine.releaseJob(first.id, { workerId: 'w', attempt: 1 }, (position) => ({ type: 'queued', position, eta_ms: null, attempt: 1, reason: 'lost' }), lost);
      expect(await engine.appendEvent(first.id, update(0, 1))).toBeNull();
      expect((await engine.appendEvent(first.id, update(1, 1)))!.seq).toBe(3);
      if (other !== engine) await other.close();
      await engine.close();
    });

    it('ends queued and held jobs with endJob, once', async () => {
      const { engine } = await makeEngine();
      const s = space('end');
      await engine.createSpace(s);
      const q = job(s);
      await engine.submitJob(q, 10, queued);
      const ended = await engine.endJob(q.id, { type: 'cancelled', reason: 'test' });
      expect(ended!.before.state).toBe('queued');
      expect(await engine.queuedJobIds(s.id)).toEqual([]);
      expect(await engine.endJob(q.id, { type: 'cancelled', reason: 'again' })).toBeNull();
      await engine.close();
    });

    it('reports expired leases and overdue jobs', async () => {
      const { engine } = await makeEngine();
      const s = space('sweep');
      await engine.createSpace(s);
      const j = job(s);
      await engine.submitJob({ ...j, deadline: Date.now() - 1 }, 10, queued);
      await engine.claimJob([s.id], 'w', 1);
      await new Promise((r) => setTimeout(r, 5));
      expect(await engine.expiredLeases(Date.now())).toEqual([{ jobId: j.id, workerId: 'w', attempt: 1 }]);
      await engine.renewLeases('w', [j.id], 60_000);
      expect(await engine.expiredLeases(Date.now())).toEqual([]);
      expect((await engine.overdueJobs(Date.now())).map((o) => o.id)).toEqual([j.id]);
      await engine.close();
    });

    it('revokes credentials so they are no longer found', async () => {
      const { engine } = await makeEngine();
      await engine.createCredential({ id: 'k1', kind: 'api_key', name: 'k', hash: 'h1', hint: 'x', space_id: null, created_at: 1, revoked_at: null });
      expect(await engine.findCredential('h1')).toMatchObject({ id: 'k1' });
      expect(await engine.revokeCredential('k1')).toBe(true);
      expect(await engine.findCredential('h1')).toBeNull();
      expect(await engine.revokeCredential('k1')).toBe(false);
      await engine.close();
    });

    it('stores blobs byte for byte', async () => {
      const { engine } = await makeEngine();
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await engine.putBlob({ id: 'blob_1', name: 'b.bin', mime: 'application/octet-stream', size: 256, created_at: 1, job_id: null }, bytes);
      expect((await engine.getBlob('blob_1'))!.bytes.equals(bytes)).toBe(true);
      expect(await engine.getBlob('blob_none')).toBeNull();
      await engine.close();
    });

    it('holds live blobs (partial files) byte for byte, readable from every instance', async () => {
      const { engine, reopen, leasesSurviveReopen } = await makeEngine();
      const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 3) % 256));
      await engine.putLiveBlob({ id: 'blob_live', name: 'f.jpg', mime: 'image/jpeg', size: bytes.length, created_at: 1, job_id: 'job_x' }, bytes);
      const held = await engine.getBlob('blob_live');
      expect(held!.meta).toMatchObject({ id: 'blob_live', name: 'f.jpg', size: 5000 });
      expect(held!.bytes.equals(bytes)).toBe(true);
      if (reopen && leasesSurviveReopen) {
        const other = await reopen();
        expect((await other.getBlob('blob_live'))!.bytes.equals(bytes)).toBe(true);
        await other.close();
      }
      await engine.close();
    });

    it('delivers bus messages to subscribers in publish order', async () => {
      const { engine } = await makeEngine();
      const got: string[] = [];
      const off = engine.subscribe({ message: (channel, message) => void (channel === 'test' && got.push(message)), jobEvent: () => {} });
      for (let i = 0; i < 100; i++) engine.publish('test', String(i));
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
      off();
      await engine.close();
      await engine.close(); // idempotent
    });

    it('keeps the publish order across channels', async () => {
      const { engine } = await makeEngine();
      const got: string[] = [];
      const off = engine.subscribe({
        message: (channel, message) => void ((channel === 'x' || channel === 'y') && got.push(`${channel}${message}`)),
        jobEvent: () => {},
      });
      const sent = Array.from({ length: 60 }, (_, i) => (i % 7 < 4 ? `x${i}` : `y${i}`));
      for (const m of sent) engine.publish(m[0]!, m.slice(1));
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual(sent);
      off();
      await engine.close();
    });

    it('delivers job events with their four fields, in order with the other messages', async () => {
      const { engine } = await makeEngine();
      const got: string[] = [];
      const off = engine.subscribe({
        message: (channel, message) => void (channel === 'ctl-test' && got.push(`message ${message}`)),
        jobEvent: (spaceId, jobId, ownerId, line) => void (spaceId.startsWith('space_t') && got.push(`event ${spaceId}|${jobId}|${ownerId}|${line}`)),
      });
      const expected: string[] = [];
      for (let i = 0; i < 30; i++) {
        if (i % 4 === 3) {
          engine.publish('ctl-test', `m${i}`);
          expected.push(`message m${i}`);
        } else {
          const line = JSON.stringify({ type: 'token', job: `job_${i}`, seq: i, text: `a\tb "${i}"` });
          engine.publishEvent(`space_t${i % 2}`, `job_${i}`, `key_${i}`, line);
          expected.push(`event space_t${i % 2}|job_${i}|key_${i}|${line}`);
        }
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual(expected);
      off();
      await engine.close();
    });

    it('keeps users unique by name ignoring case, and revokes their credentials when deleted', async () => {
      const { engine } = await makeEngine();
      const user = { id: `user_${Math.random().toString(36).slice(2)}`, username: 'Ada', password_hash: 'scrypt$x', role: 'user' as const, created_at: 1 };
      await engine.createUser(user);
      await expect(engine.createUser({ ...user, id: 'user_other', username: 'ada' })).rejects.toMatchObject({ code: 'user_exists' });
      expect(await engine.findUser('ADA')).toMatchObject({ id: user.id, username: 'Ada' });
      await engine.updateUser({ ...user, username: 'Ada2', role: 'admin' });
      expect(await engine.findUser('ada')).toBeNull();
      expect(await engine.getUser(user.id)).toMatchObject({ username: 'Ada2', role: 'admin' });
      expect((await engine.listUsers()).map((u) => u.id)).toContain(user.id);
      await engine.createCredential({
        id: 'key_u',
        kind: 'api_key',
        name: 'script',
        hash: `h_${user.id}`,
        hint: 'x',
        space_id: null,
        user_id: user.id,
        created_at: 1,
        revoked_at: null,
      });
      expect(await engine.findCredential(`h_${user.id}`)).toMatchObject({ user_id: user.id });
      expect(await engine.deleteUser(user.id)).toBe(true);
      expect(await engine.getUser(user.id)).toBeNull();
      expect(await engine.findCredential(`h_${user.id}`)).toBeNull();
      expect(await engine.deleteUser(user.id)).toBe(false);
      await engine.close();
    });

    it('keeps sessions: images appended up to max_images, refused when finalized, expired or deleted', async () => {
      const { engine } = await makeEngine();
      const now = Date.now();
      const session: Session = {
        id: `sess_${Math.random().toString(36).slice(2)}`,
        space_id: 'space_x',
        space: 'x',
        owner: { kind: 'anonymous', id: 'anonymous', name: 'anonymous' },
        status: 'open',
        created_at: now,
        expires_at: now + 60_000,
        max_images: 2,
        options: { process_res: 256 },
        images: [],
        generated_through: 0,
        job_ids: [],
      };
      await engine.createSession(session);
      const image = (n: number) => ({ blob: `blob_s${n}`, name: `${n}.png`, mime: 'image/png', size: 10, added_at: now });
      await engine.putBlob({ id: 'blob_s1', name: '1.png', mime: 'image/png', size: 3, created_at: now, job_id: session.id }, Buffer.from('abc'));
      // Two appends at once must not both slip past the limit with a third.
      const counts = await Promise.allSettled([
        engine.addSessionImage(session.id, image(1), now),
        engine.addSessionImage(session.id, image(2), now),
        engine.addSessionImage(session.id, image(3), now),
      ]);
      expect(
        counts
          .filter((c) => c.status === 'fulfilled')
          .map((c) => (c as PromiseFulfilledResult<number>).value)
          .sort(),
      ).toEqual([1, 2]);
      expect(counts.find((c) => c.status === 'rejected')).toMatchObject({ reason: { code: 'session_full' } });
      await engine.updateSession(session.id, { generated_through: 2, job_id: 'job_a' });
      await engine.updateSession(session.id, { status: 'finalized', job_id: 'job_b' });
      const got = await engine.getSession(session.id);
      expect(got).toMatchObject({ status: 'finalized', generated_through: 2, job_ids: ['job_a', 'job_b'], options: { process_res: 256 }, max_images: 2 });
      expect(got!.images.map((i) => i.name).sort()).toEqual(['1.png', '2.png']);
      await expect(engine.addSessionImage(session.id, image(4), now)).rejects.toMatchObject({ code: 'session_closed' });
      expect((await engine.listSessions()).map((s) => s.id)).toContain(session.id);
      expect(await engine.deleteSession(session.id)).toBe(true);
      expect(await engine.getSession(session.id)).toBeNull();
      expect(await engine.getBlob('blob_s1')).toBeNull();
      expect(await engine.deleteSession(session.id)).toBe(false);
      await expect(engine.addSessionImage(session.id, image(5), now)).rejects.toMatchObject({ code: 'session_not_found' });

      const old: Session = { ...session, id: `${session.id}_old`, status: 'open', expires_at: now - 1 };
      await engine.createSession(old);
      await expect(engine.addSessionImage(old.id, image(6), now)).rejects.toMatchObject({ code: 'session_not_found' });
      expect(await engine.purgeExpiredSessions(now)).toBe(1);
      expect(await engine.getSession(old.id)).toBeNull();
      await engine.close();
    });

    it('keeps accepted jobs, their order and their events across a reopen', async () => {
      const made = await makeEngine();
      if (!made.reopen) return;
      const s = space('durable');
      await made.engine.createSpace(s);
      const jobs = [job(s), job(s)];
      for (const j of jobs) await made.engine.submitJob(j, 10, queued);
      const held = await made.engine.claimJob([s.id], 'w', 60_000);
      await made.engine.appendEvent(held!.id, { type: 'token', text: 'kept' }, { workerId: 'w', attempt: 1 });
      await made.engine.close();
      const engine = await made.reopen();
      expect(await engine.queuedJobIds(s.id)).toEqual([jobs[1]!.id]);
      if (made.leasesSurviveReopen) {
        // Another instance may still serve the worker: the lease stands until it runs out.
        expect(await engine.getJob(jobs[0]!.id)).toMatchObject({ state: 'assigned', worker_id: 'w', attempt: 1 });
      } else {
        // One process held every lease; after a restart they are expired at once, so the sweeper requeues them.
        expect(await engine.expiredLeases(Date.now())).toEqual([{ jobId: jobs[0]!.id, workerId: 'w', attempt: 1 }]);
      }
      expect((await engine.readEvents(jobs[0]!.id, 0))!.lines.map((l) => JSON.parse(l).type)).toEqual(['queued', 'token']);
      await engine.close();
    });
  });
}
