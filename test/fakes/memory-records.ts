import { memoryRateWindows } from '../../src/engine/embedded/rate-windows.ts';
import type { CredentialRecord, Records, UserRecord } from '../../src/core/ports/records.ts';
import type { Session, Space, WorkerInfo } from '../../src/core/types.ts';
import { SpaceportError } from '../../src/protocol/errors.ts';

const copy = <T>(value: T): T => structuredClone(value);

/** The records port in plain maps: what the contract asks, and nothing kept anywhere else. */
export function memoryRecords(hooks: { spaceDeleted(id: string): void; blobsOf(ownerId: string): void }): Records {
  const spaces = new Map<string, Space>();
  const users = new Map<string, UserRecord>();
  const credentials = new Map<string, CredentialRecord>();
  const sessions = new Map<string, Session>();
  const workers = new Map<string, WorkerInfo>();
  const spaceNamed = (name: string) => [...spaces.values()].find((s) => s.name === name);
  const userNamed = (name: string) => [...users.values()].find((u) => u.username.toLowerCase() === name.toLowerCase());
  const putSpace = (space: Space) => {
    const holder = spaceNamed(space.name);
    if (holder && holder.id !== space.id) throw new SpaceportError('space_exists');
    spaces.set(space.id, copy(space));
  };
  const putUser = (user: UserRecord) => {
    const holder = userNamed(user.username);
    if (holder && holder.id !== user.id) throw new SpaceportError('user_exists');
    users.set(user.id, copy(user));
  };
  const revoke = (c: CredentialRecord) => {
    if (c.revoked_at !== null) return false;
    c.revoked_at = Date.now();
    return true;
  };

  return {
    ...memoryRateWindows(),
    listSpaces: async () => [...spaces.values()].sort((a, b) => a.name.localeCompare(b.name)).map(copy),
    getSpace: (name) => copy(spaceNamed(name) ?? null),
    getSpaceById: async (id) => copy(spaces.get(id) ?? null),
    createSpace: async (space) => putSpace(space),
    updateSpace: async (space) => putSpace(space),
    async deleteSpace(id) {
      spaces.delete(id);
      for (const c of credentials.values()) if (c.kind === 'worker_token' && c.space_id === id) credentials.delete(c.id);
      hooks.spaceDeleted(id);
    },

    createUser: async (user) => putUser(user),
    getUser: async (id) => copy(users.get(id) ?? null),
    findUser: async (username) => copy(userNamed(username) ?? null),
    listUsers: async () => [...users.values()].map(copy),
    updateUser: async (user) => putUser(user),
    async deleteUser(id) {
      if (!users.delete(id)) return false;
      for (const c of credentials.values()) if (c.user_id === id) revoke(c);
      return true;
    },
    createCredential: async (record) => void credentials.set(record.id, copy(record)),
    listCredentials: async (kind, spaceId) => [...credentials.values()].filter((c) => c.kind === kind && (spaceId === undefined || c.space_id === spaceId)).map(copy),
    findCredential: async (hash) => copy([...credentials.values()].find((c) => c.hash === hash && c.revoked_at === null) ?? null),
    revokeCredential: async (id) => {
      const c = credentials.get(id);
      return c ? revoke(c) : false;
    },

    createSession: async (session) => void sessions.set(session.id, copy({ ...session, images: [], job_ids: [] })),
    getSession: async (id) => copy(sessions.get(id) ?? null),
    listSessions: async () => [...sessions.values()].map(copy),
    async addSessionImage(id, image, now) {
      const s = sessions.get(id);
      if (!s || s.expires_at <= now) throw new SpaceportError('session_not_found');
      if (s.status !== 'open') throw new SpaceportError('session_closed');
      if (s.images.length >= s.max_images) throw new SpaceportError('session_full');
      s.images.push(copy(image));
      return s.images.length;
    },
    async updateSession(id, patch) {
      const s = sessions.get(id);
      if (!s) return;
      if (patch.status) s.status = patch.status;
      if (patch.generated_through !== undefined) s.generated_through = patch.generated_through;
      if (patch.job_id) s.job_ids.push(patch.job_id);
    },
    async deleteSession(id) {
      if (!sessions.delete(id)) return false;
      hooks.blobsOf(id);
      return true;
    },
    async purgeExpiredSessions(now) {
      let purged = 0;
      for (const s of [...sessions.values()]) {
        if (s.expires_at >= now) continue;
        sessions.delete(s.id);
        hooks.blobsOf(s.id);
        purged += 1;
      }
      return purged;
    },

    putWorker: (info) => void workers.set(info.id, copy(info)),
    removeWorker: async (id) => void workers.delete(id),
    listWorkers: () => [...workers.values()].map(copy),
  };
}
