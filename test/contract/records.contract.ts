import { describe, expect, it } from 'vitest';
import type { CredentialRecord } from '../../src/core/ports/records.ts';
import type { Session, WorkerInfo } from '../../src/core/types.ts';
import { job, queued, space, type MakeEngine } from './harness.ts';

const unique = (n: string) => `${n}_${Math.random().toString(36).slice(2)}`;
const credential = (over: Partial<CredentialRecord>): CredentialRecord => ({
  id: unique('cred'),
  kind: 'api_key',
  name: 'k',
  hash: unique('hash'),
  hint: 'x',
  space_id: null,
  created_at: 1,
  revoked_at: null,
  ...over,
});

/** The records port (src/core/ports/records.ts): spaces, accounts, sessions and presence. */
export function recordsContract(name: string, makeEngine: MakeEngine): void {
  describe(`records port: ${name}`, () => {
    it('keeps spaces unique by name (case-sensitive), found by name and by id', async () => {
      const { engine } = await makeEngine();
      const alpha = space('Alpha');
      await engine.createSpace(alpha);
      await expect(engine.createSpace({ ...space('Alpha'), id: 'other' })).rejects.toMatchObject({ code: 'space_exists' });
      const lower = space('alpha');
      await engine.createSpace(lower);
      expect((await engine.listSpaces()).map((s) => s.name).sort()).toEqual(['Alpha', 'alpha']);
      expect(await engine.getSpace('Alpha')).toEqual(alpha);
      expect(await engine.getSpaceById(lower.id)).toEqual(lower);
      expect(await engine.getSpace('ALPHA')).toBeNull();
      expect(await engine.getSpaceById('space_none')).toBeNull();
      await engine.close();
    });

    it('renames a space, freeing its old name, and refuses a rename onto a taken one', async () => {
      const { engine } = await makeEngine();
      const [a, b] = [space('first'), space('second')];
      await engine.createSpace(a);
      await engine.createSpace(b);
      await engine.updateSpace({ ...a, name: 'renamed', max_queue: 9 });
      expect(await engine.getSpace('first')).toBeNull();
      expect(await engine.getSpace('renamed')).toMatchObject({ id: a.id, max_queue: 9 });
      await expect(engine.updateSpace({ ...b, name: 'renamed' })).rejects.toMatchObject({ code: 'space_exists' });
      expect(await engine.getSpaceById(b.id)).toMatchObject({ name: 'second' });
      await engine.createSpace(space('first')); // the old name is free
      await engine.close();
    });

    it('deletes a space with its queue and worker tokens, and nothing of another space', async () => {
      const { engine } = await makeEngine();
      const [gone, kept] = [space('gone'), space('kept')];
      await engine.createSpace(gone);
      await engine.createSpace(kept);
      const [token, other] = [credential({ kind: 'worker_token', space_id: gone.id }), credential({ kind: 'worker_token', space_id: kept.id })];
      await engine.createCredential(token);
      await engine.createCredential(other);
      const j = job(gone);
      await engine.submitJob(j, 10, queued);
      await engine.endJob({ id: j.id, spaceId: gone.id, ownerId: j.owner.id }, { type: 'cancelled', reason: 'space deleted' });
      await engine.deleteSpace(gone.id);
      expect(await engine.getSpace('gone')).toBeNull();
      expect(await engine.getSpaceById(gone.id)).toBeNull();
      expect(await engine.findCredential(token.hash)).toBeNull();
      expect(await engine.queuedJobIds(gone.id)).toEqual([]);
      expect(await engine.findCredential(other.hash)).toMatchObject({ id: other.id });
      expect(await engine.getSpace('kept')).toMatchObject({ id: kept.id });
      await engine.createSpace(space('gone')); // its name is free
      await engine.close();
    });

    it('lists credentials by kind and space, and revokes them so they are no longer found (but still listed, as revoked)', async () => {
      const { engine } = await makeEngine();
      const s = space('creds');
      const key = credential({ kind: 'api_key' });
      const token = credential({ kind: 'worker_token', space_id: s.id });
      const elsewhere = credential({ kind: 'worker_token', space_id: 'space_other' });
      for (const c of [key, token, elsewhere]) await engine.createCredential(c);
      expect(await engine.findCredential(key.hash)).toMatchObject({ id: key.id });
      expect((await engine.listCredentials('api_key')).map((c) => c.id)).toContain(key.id);
      expect((await engine.listCredentials('worker_token', s.id)).map((c) => c.id)).toEqual([token.id]);
      expect(await engine.revokeCredential(key.id)).toBe(true);
      expect(await engine.findCredential(key.hash)).toBeNull();
      expect((await engine.listCredentials('api_key')).find((c) => c.id === key.id)!.revoked_at).toBeGreaterThan(0);
      expect(await engine.revokeCredential(key.id)).toBe(false);
      await engine.close();
    });

    it('keeps users unique by name ignoring case, and revokes their credentials when deleted', async () => {
      const { engine } = await makeEngine();
      const user = { id: unique('user'), username: 'Ada', password_hash: 'scrypt$x', role: 'user' as const, created_at: 1 };
      await engine.createUser(user);
      await expect(engine.createUser({ ...user, id: 'user_other', username: 'ada' })).rejects.toMatchObject({ code: 'user_exists' });
      expect(await engine.findUser('ADA')).toMatchObject({ id: user.id, username: 'Ada' });
      await engine.updateUser({ ...user, username: 'Ada2', role: 'admin' });
      expect(await engine.findUser('ada')).toBeNull();
      expect(await engine.getUser(user.id)).toMatchObject({ username: 'Ada2', role: 'admin' });
      expect((await engine.listUsers()).map((u) => u.id)).toContain(user.id);
      const key = credential({ user_id: user.id });
      await engine.createCredential(key);
      expect(await engine.findCredential(key.hash)).toMatchObject({ user_id: user.id });
      expect(await engine.deleteUser(user.id)).toBe(true);
      expect(await engine.getUser(user.id)).toBeNull();
      expect(await engine.findCredential(key.hash)).toBeNull();
      expect(await engine.deleteUser(user.id)).toBe(false);
      await engine.close();
    });

    it('keeps sessions: images appended up to max_images, refused when finalized, expired or deleted', async () => {
      const { engine } = await makeEngine();
      const now = Date.now();
      const session: Session = {
        id: unique('sess'),
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
      const blob = unique('blob_s');
      await engine.putBlob({ id: blob, name: '1.png', mime: 'image/png', size: 3, created_at: now, job_id: session.id }, Buffer.from('abc'));
      // Two appends at once must not both slip past the limit with a third.
      const counts = await Promise.allSettled([1, 2, 3].map((n) => engine.addSessionImage(session.id, image(n), now)));
      const fulfilled = counts.filter((c): c is PromiseFulfilledResult<number> => c.status === 'fulfilled').map((c) => c.value);
      expect(fulfilled.sort()).toEqual([1, 2]);
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
      expect(await engine.getBlob(blob)).toBeNull();
      expect(await engine.deleteSession(session.id)).toBe(false);
      await expect(engine.addSessionImage(session.id, image(5), now)).rejects.toMatchObject({ code: 'session_not_found' });

      const old: Session = { ...session, id: `${session.id}_old`, status: 'open', expires_at: now - 1 };
      await engine.createSession(old);
      await expect(engine.addSessionImage(old.id, image(6), now)).rejects.toMatchObject({ code: 'session_not_found' });
      expect(await engine.purgeExpiredSessions(now)).toBe(1);
      expect(await engine.getSession(old.id)).toBeNull();
      await engine.close();
    });

    it('counts events per key in windows of time, atomically, on every instance alike', async () => {
      const made = await makeEngine();
      const other = made.leasesSurviveReopen && made.reopen ? await made.reopen() : made.engine;
      const [key, elsewhere] = [unique('rate'), unique('rate')];
      const counts = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? other : made.engine).countInWindow(key, 60_000)));
      expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      for (const c of counts) expect(c.resetInMs).toBeLessThanOrEqual(60_000);
      expect((await made.engine.countInWindow(elsewhere, 60_000)).count).toBe(1);
      // A window ends and counting starts again.
      const short = unique('rate');
      await made.engine.countInWindow(short, 150);
      await new Promise((r) => setTimeout(r, 320));
      expect((await made.engine.countInWindow(short, 150)).count).toBe(1);
      if (other !== made.engine) await other.close();
      await made.engine.close();
    });

    it('knows the connected workers, replaced by id and gone once removed', async () => {
      const { engine } = await makeEngine();
      const worker = (id: string, slots: number): WorkerInfo => ({ id, name: id, instance: engine.instanceId, space_ids: ['space_w'], slots, running: 0, connected_at: 1, draining: false });
      const [a, b] = [unique('wk'), unique('wk')];
      await engine.putWorker(worker(a, 1));
      await engine.putWorker(worker(b, 2));
      await engine.putWorker(worker(a, 4)); // replaced, not added
      const listed = (await engine.listWorkers()).filter((w) => w.id === a || w.id === b);
      expect(listed.map((w) => [w.id, w.slots]).sort()).toEqual(
        [
          [a, 4],
          [b, 2],
        ].sort(),
      );
      await engine.removeWorker(a);
      expect((await engine.listWorkers()).map((w) => w.id)).not.toContain(a);
      await engine.close();
    });

    it('counts connections per budget across instances, where it offers to', async () => {
      const { engine, reopen, leasesSurviveReopen } = await makeEngine();
      const counts = engine.connectionCounts;
      if (!counts) return void (await engine.close()); // optional: one instance counts its own
      const budget = unique('budget');
      counts.opened(budget);
      counts.opened(budget);
      counts.closed(budget);
      const other = reopen && leasesSurviveReopen ? await reopen() : undefined;
      if (other) other.connectionCounts!.opened(budget);
      const expected = other ? 2 : 1;
      for (let i = 0; i < 100 && (await counts.count(budget)) !== expected; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await counts.count(budget)).toBe(expected);
      await other?.close();
      await engine.close();
    });
  });
}
