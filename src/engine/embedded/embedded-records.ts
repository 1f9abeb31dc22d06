import { SpaceportError } from '../../protocol/errors.ts';
import type { AccountRecords, CredentialKind, CredentialRecord, SessionRecords, SpaceRecords } from '../../core/ports/records.ts';
import type { Session } from '../../core/types.ts';
import type { SqliteStore } from './sqlite-store.ts';

type Records = SpaceRecords & AccountRecords & SessionRecords;

/**
 * The embedded engine's records — spaces, credentials, users, sessions — held in memory and written
 * through to SQLite as they change (they change rarely; jobs are the hot part, in embedded-engine.ts).
 * `onSpaceDeleted` lets the engine drop the space's queue; `removeBlob` deletes a session image's file.
 */
export function embeddedRecords(store: SqliteStore, onSpaceDeleted: (spaceId: string) => void, removeBlob: (id: string) => Promise<void>): Records {
  const spaces = new Map(store.allSpaces().map((s) => [s.id, s]));
  const sessions = new Map(store.allSessions().map((s) => [s.id, s]));
  const users = new Map(store.allUsers().map((u) => [u.id, u]));
  const credentials = new Map(store.allCredentials().map((c) => [c.id, c]));
  // Looked up on every request (a space by its name, a token by its hash): indexed, not scanned —
  // a scan's cost would grow with every key issued, and be paid by every caller with a bad token.
  const spaceByName = new Map([...spaces.values()].map((s) => [s.name, s]));
  const liveByHash = new Map([...credentials.values()].filter((c) => c.revoked_at === null).map((c) => [c.hash, c]));

  const records: Records = {
    async listSpaces() {
      return [...spaces.values()].sort((a, b) => a.name.localeCompare(b.name));
    },
    getSpace(name) {
      return spaceByName.get(name) ?? null;
    },
    async getSpaceById(id) {
      return spaces.get(id) ?? null;
    },
    async createSpace(space) {
      if (await records.getSpace(space.name)) throw new SpaceportError('space_exists', `A space named "${space.name}" already exists.`);
      store.putSpace(space);
      spaces.set(space.id, space);
      spaceByName.set(space.name, space);
    },
    async updateSpace(space) {
      const other = await records.getSpace(space.name);
      if (other && other.id !== space.id) throw new SpaceportError('space_exists', `A space named "${space.name}" already exists.`);
      store.putSpace(space);
      const before = spaces.get(space.id);
      if (before) spaceByName.delete(before.name);
      spaces.set(space.id, space);
      spaceByName.set(space.name, space);
    },
    async deleteSpace(id) {
      store.deleteSpace(id);
      const space = spaces.get(id);
      if (space) spaceByName.delete(space.name);
      spaces.delete(id);
      onSpaceDeleted(id);
      for (const [cid, c] of credentials) {
        if (c.space_id !== id) continue;
        credentials.delete(cid);
        if (liveByHash.get(c.hash) === c) liveByHash.delete(c.hash);
      }
    },

    async createCredential(record) {
      store.putCredential(record);
      credentials.set(record.id, record);
      if (record.revoked_at === null) liveByHash.set(record.hash, record);
    },
    async listCredentials(kind: CredentialKind, spaceId?: string) {
      return [...credentials.values()].filter((c) => c.kind === kind && (spaceId === undefined || c.space_id === spaceId));
    },
    async findCredential(hash) {
      return liveByHash.get(hash) ?? null;
    },
    async revokeCredential(id) {
      const c = credentials.get(id);
      if (!c || c.revoked_at !== null) return false;
      const revoked: CredentialRecord = { ...c, revoked_at: Date.now() };
      store.putCredential(revoked);
      credentials.set(id, revoked);
      if (liveByHash.get(c.hash) === c) liveByHash.delete(c.hash);
      return true;
    },

    async createUser(user) {
      if (await records.findUser(user.username)) throw new SpaceportError('user_exists', `A user named "${user.username}" already exists.`);
      store.putUser(user);
      users.set(user.id, { ...user });
    },
    async getUser(id) {
      const u = users.get(id);
      return u ? { ...u } : null;
    },
    async findUser(username) {
      const wanted = username.toLowerCase();
      for (const u of users.values()) if (u.username.toLowerCase() === wanted) return { ...u };
      return null;
    },
    async listUsers() {
      return [...users.values()].map((u) => ({ ...u })).sort((a, b) => a.username.localeCompare(b.username));
    },
    async updateUser(user) {
      const other = await records.findUser(user.username);
      if (other && other.id !== user.id) throw new SpaceportError('user_exists', `A user named "${user.username}" already exists.`);
      store.putUser(user);
      users.set(user.id, { ...user });
    },
    async deleteUser(id) {
      if (!users.delete(id)) return false;
      store.deleteUser(id);
      for (const c of credentials.values()) if (c.user_id === id && c.revoked_at === null) await records.revokeCredential(c.id);
      return true;
    },

    async createSession(session) {
      const stored: Session = { ...session, images: [], job_ids: [] };
      store.putSession(stored);
      sessions.set(session.id, stored);
    },
    async getSession(id) {
      const s = sessions.get(id);
      return s ? structuredClone(s) : null;
    },
    async listSessions() {
      return [...sessions.values()].map((s) => structuredClone(s));
    },
    async addSessionImage(id, image, now) {
      const s = sessions.get(id);
      if (!s || s.expires_at <= now) throw new SpaceportError('session_not_found', `No session has id "${id}".`);
      if (s.status !== 'open') throw new SpaceportError('session_closed');
      if (s.images.length >= s.max_images) throw new SpaceportError('session_full', `Session ${id} already has ${s.max_images} images.`);
      s.images.push(image);
      store.putSession(s);
      return s.images.length;
    },
    async updateSession(id, patch) {
      const s = sessions.get(id);
      if (!s) throw new SpaceportError('session_not_found', `No session has id "${id}".`);
      if (patch.status) s.status = patch.status;
      if (patch.generated_through !== undefined) s.generated_through = patch.generated_through;
      if (patch.job_id) s.job_ids.push(patch.job_id);
      store.putSession(s);
    },
    async deleteSession(id) {
      if (!sessions.delete(id)) return false;
      for (const blob of store.deleteSession(id)) await removeBlob(blob);
      return true;
    },
    async purgeExpiredSessions(now) {
      let n = 0;
      for (const s of [...sessions.values()]) if (s.expires_at <= now && (await records.deleteSession(s.id))) n++;
      return n;
    },
  };
  return records;
}
