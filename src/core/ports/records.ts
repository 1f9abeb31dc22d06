import type { Now } from '../now.ts';
import type { Session, SessionImage, Space, WorkerInfo } from '../types.ts';

/**
 * The records port: the small, slowly changing things every instance must agree on — spaces,
 * accounts, multi-step sessions and who is connected. Four groups, each usable on its own.
 */
export interface Records extends SpaceRecords, AccountRecords, SessionRecords, Presence, RateWindows {}

export interface SpaceRecords {
  /** Every space, by name. */
  listSpaces(): Promise<Space[]>;
  /** May answer at once (the embedded engine does: every submit asks). */
  getSpace(name: string): Now<Space | null>;
  getSpaceById(id: string): Promise<Space | null>;
  /** MUST throw SpaceportError('space_exists') when the name is taken (names are case-sensitive). */
  createSpace(space: Space): Promise<void>;
  /** Replaces the space with the same id; MUST throw space_exists when renaming onto a taken name, and the old name MUST be free after a rename. */
  updateSpace(space: Space): Promise<void>;
  /** Deletes the space, its queue and its worker tokens; the caller cancels its queued jobs first. */
  deleteSpace(id: string): Promise<void>;
}

export type CredentialKind = 'api_key' | 'worker_token' | 'web_session';

/** A person who signs in. The password is stored only as a scrypt hash (server/passwords.ts). */
export interface UserRecord {
  id: string;
  username: string;
  password_hash: string;
  role: 'admin' | 'user';
  created_at: number;
}

export interface CredentialRecord {
  id: string;
  kind: CredentialKind;
  name: string;
  /** SHA-256 of the secret, hex. The secret itself is shown once and never stored. */
  hash: string;
  /** The first characters of the secret, so people can tell keys apart. */
  hint: string;
  /** Worker tokens belong to one space. */
  space_id: string | null;
  /** API keys a user made for their scripts, and sign-in sessions, act as that user. */
  user_id?: string | null;
  /** Sign-in sessions end; keys and tokens last until revoked. */
  expires_at?: number | null;
  /**
   * The built-in admin's sign-ins: a fingerprint of the admin token they were made with. Once the
   * gateway runs with another admin token, they no longer sign anyone in.
   */
  admin_token?: string | null;
  /** API keys an admin made: the highest priority their jobs may ask for (docs/queue.md); absent: the default. */
  max_priority?: number | null;
  /** API keys an admin made: how many of their jobs share one round of fair share (docs/queue.md); absent: 1. */
  fair_weight?: number | null;
  created_at: number;
  revoked_at: number | null;
}

/** People and their credentials (API keys, worker tokens, sign-in sessions), stored as SHA-256 hashes. */
export interface AccountRecords {
  /** MUST throw SpaceportError('user_exists') when the username is taken (case-insensitive). */
  createUser(user: UserRecord): Promise<void>;
  getUser(id: string): Promise<UserRecord | null>;
  /** By username, ignoring case. */
  findUser(username: string): Promise<UserRecord | null>;
  listUsers(): Promise<UserRecord[]>;
  /** Replaces the user with the same id (a new password or role). */
  updateUser(user: UserRecord): Promise<void>;
  /** Deletes the user and revokes their keys and sign-in sessions; false when there was none. */
  deleteUser(id: string): Promise<boolean>;
  createCredential(record: CredentialRecord): Promise<void>;
  /** Credentials of a kind (of one space, for worker tokens), the revoked ones too (listings show them, with `revoked_at`). */
  listCredentials(kind: CredentialKind, spaceId?: string): Promise<CredentialRecord[]>;
  /** MUST NOT return a revoked credential. */
  findCredential(hash: string): Promise<CredentialRecord | null>;
  /** Returns false when there was nothing to revoke. */
  revokeCredential(id: string): Promise<boolean>;
}

/** Multi-step sessions (images gathered, then generated from), atomically across instances. */
export interface SessionRecords {
  /** Stores a new session (its `images` and `job_ids` empty). */
  createSession(session: Session): Promise<void>;
  getSession(id: string): Promise<Session | null>;
  listSessions(): Promise<Session[]>;
  /**
   * Appends an image. MUST throw session_not_found (missing or past `expires_at` at `now`),
   * session_closed (finalized) or session_full (at max_images). Returns the number of images after.
   */
  addSessionImage(id: string, image: SessionImage, now: number): Promise<number>;
  /** Changes status / how far generates reached, and appends a job id. */
  updateSession(id: string, patch: { status?: Session['status']; generated_through?: number; job_id?: string }): Promise<void>;
  /** Deletes the session and its images' blobs; false when there was none. */
  deleteSession(id: string): Promise<boolean>;
  /** Deletes sessions whose `expires_at` is before `now` (with their images); returns how many. */
  purgeExpiredSessions(now: number): Promise<number>;
}

/**
 * Open connections per budget key on every instance of a shared engine. `opened` and `closed`
 * count this instance's and MUST NOT throw (a count that fails to reach the store is lost, not
 * raised); `count` answers for the instances alive.
 */
export interface ConnectionCounts {
  opened(budget: string): void;
  closed(budget: string): void;
  count(budget: string): Promise<number>;
}

/** Who is connected, so every instance can report a space's status and slots. */
export interface Presence {
  /** Adds or replaces a connected worker. May answer at once. */
  putWorker(info: WorkerInfo): Now<void>;
  removeWorker(id: string): Promise<void>;
  /** The workers connected to instances still alive. May answer at once. */
  listWorkers(): Now<WorkerInfo[]>;
  /** Optional: connections counted across instances (Redis). Without it every instance counts its own. */
  readonly connectionCounts?: ConnectionCounts;
}

/** Events counted per key in fixed windows of time, on every instance alike: rate limits. */
export interface RateWindows {
  /**
   * Counts one event under `key` in its current window of `windowMs` — one window for every
   * instance — and answers the count in it so far, this one included, and the milliseconds until the
   * window ends (then counting starts again). MUST count atomically across instances. May answer at once.
   */
  countInWindow(key: string, windowMs: number): Now<{ count: number; resetInMs: number }>;
}
