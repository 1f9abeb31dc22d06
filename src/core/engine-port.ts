import type { JobEvent } from '../protocol/job-events.ts';
import type { Now } from './now.ts';
import type { Job, JobResult, JobState, Session, SessionImage, Space, WorkerInfo } from './types.ts';

/**
 * The storage and bus contract every engine implements (embedded: memory + SQLite; redis: many
 * gateway instances). Semantics shared by all engines (dispatch, ETAs, timeouts, routing events to
 * sockets) live above this interface in core/; an engine only stores, orders and broadcasts.
 *
 * All methods are async so a networked engine fits. The contract suite in test/engine-contract.ts
 * checks every MUST below against every engine.
 */
export interface Engine {
  /** Unique per gateway process; recorded on workers so cancels reach the right instance. */
  readonly instanceId: string;

  // ---- Spaces -------------------------------------------------------------------------------
  listSpaces(): Promise<Space[]>;
  /** May answer at once (the embedded engine does). */
  getSpace(name: string): Now<Space | null>;
  getSpaceById(id: string): Promise<Space | null>;
  /** MUST throw SpaceportError('space_exists') when the name is taken (names are case-sensitive). */
  createSpace(space: Space): Promise<void>;
  /** MUST throw space_exists when renaming onto a taken name. */
  updateSpace(space: Space): Promise<void>;
  /** Deletes the space and its worker tokens; queued jobs of the space are cancelled by the caller first. */
  deleteSpace(id: string): Promise<void>;

  // ---- Credentials (API keys and worker tokens, stored as SHA-256 hashes) --------------------
  createCredential(record: CredentialRecord): Promise<void>;
  listCredentials(kind: CredentialKind, spaceId?: string): Promise<CredentialRecord[]>;
  /** MUST NOT return a revoked credential. */
  findCredential(hash: string): Promise<CredentialRecord | null>;
  /** Returns false when there was nothing to revoke. */
  revokeCredential(id: string): Promise<boolean>;

  // ---- Jobs ---------------------------------------------------------------------------------
  /**
   * Persists a new queued job at the tail of its space's queue and appends its first event
   * (built from the job's position; seq 1). MUST throw SpaceportError('queue_full') when the space
   * already has `maxQueue` queued jobs. MUST be durable before it resolves: an accepted job is never lost.
   * `onQueued` is called once the job can be claimed, which may be before it is durable (so a
   * worker can start on it while the write completes; nobody is told "accepted" until it resolves).
   * With `quota`, MUST also throw SpaceportError('quota_exceeded') — atomically with the insert, on
   * every instance — when `quota.max` unfinished jobs of the space already carry `quota.key`.
   */
  submitJob(job: Job, maxQueue: number, firstEvent: (position: number) => JobEvent, onQueued?: () => void, quota?: JobQuota): Promise<Appended & { position: number }>;
  /**
   * Atomically takes the job at the head of the oldest-headed queue among `spaceIds`, sets it
   * `assigned` to `workerId` with attempt+1 and a lease until now+leaseMs, and returns it.
   * MUST NOT hand one job to two claims. Returns null when every queue is empty. May answer at
   * once (the embedded engine does: a submitted job then reaches its worker without a promise).
   */
  claimJob(spaceIds: string[], workerId: string, leaseMs: number): Now<Job | null>;
  /** Extends the leases of these jobs while `workerId` still holds them; silently skips others. */
  renewLeases(workerId: string, jobIds: string[], leaseMs: number): Promise<void>;
  /**
   * Appends an event to a job's log and returns its seq and serialised line. With `holder`, MUST
   * return null unless that worker still holds that attempt (a stale worker's events never reach a
   * client). MUST return null once the job is final. `started` moves assigned → running; a final
   * event (FINAL_EVENT_STATE) ends the job, records `result` or the error, and releases the lease.
   * A `queued` event without a holder is a position update: it MUST return null unless the job is
   * still queued, and when it repeats the attempt and position the job's last queued event told
   * (at submit, requeue or an earlier update, from any instance), so each change reaches clients once.
   * May answer at once (the embedded engine does: the hot path of every token).
   */
  appendEvent(jobId: string, event: JobEvent, holder?: LeaseHolder, result?: JobResult): Now<Appended | null>;
  /**
   * Optional, for an engine whose every append is a round trip: appends a worker's event before its
   * job's end (STREAMED_TYPES: `started` moves assigned → running as in appendEvent) and
   * broadcasts it as publishEvent would, in one step, gathered with the job's other such events of
   * the same turn. The events gathered together share one promise: true when they were appended,
   * false when the holder no longer held the job (none was). The core sends every such event
   * through it: an event appended with appendEvent is published by the core after the answer, and
   * a batch sent before that answer would overtake it on the bus. Without it the core calls
   * appendEvent and then publishEvent.
   */
  appendStreamed?(job: StreamedJob, event: JobEvent, holder: LeaseHolder): Promise<boolean>;
  /**
   * The holder lost the job (disconnect, missed heartbeats, gateway restart). If attempts remain the
   * job goes back to the HEAD of its queue and `requeued(position)` is appended; otherwise the job
   * fails with `exhausted`. Returns null if the holder no longer held it.
   */
  releaseJob(jobId: string, holder: LeaseHolder, requeued: (position: number) => JobEvent, exhausted: JobEvent): Promise<(Appended & { requeued: boolean }) | null>;
  /**
   * Ends a non-final job with `event` (cancelled or timed_out), removing it from its queue.
   * Returns the job as it was before (so the caller can tell its worker), or null if already final.
   */
  endJob(jobId: string, event: JobEvent): Promise<{ before: Job; appended: Appended } | null>;
  getJob(id: string): Promise<Job | null>;
  /**
   * Events with seq > afterSeq, in order; `firstSeq` is the oldest seq still kept. Null for an
   * unknown job. May answer at once (the embedded engine does for a job still running).
   */
  readEvents(jobId: string, afterSeq: number): Now<EventRange | null>;
  /** Queued job ids of a space, head first. */
  queuedJobIds(spaceId: string): Promise<string[]>;
  /** Leases past their expiry, for the sweeper to release. */
  expiredLeases(now: number): Promise<Array<{ jobId: string } & LeaseHolder>>;
  /** Non-final jobs whose deadline has passed. */
  overdueJobs(now: number): Promise<Job[]>;
  countJobs(): Promise<Record<JobState, number>>;
  /** Newest first; for the admin API. */
  listJobs(filter: { spaceId?: string; state?: JobState; limit: number }): Promise<Job[]>;
  /** Deletes final jobs (and their events and blobs) that finished before `before`; returns how many. */
  purgeFinishedBefore(before: number): Promise<number>;

  // ---- Users ----------------------------------------------------------------------------------
  /** MUST throw SpaceportError('user_exists') when the username is taken (case-insensitive). */
  createUser(user: UserRecord): Promise<void>;
  getUser(id: string): Promise<UserRecord | null>;
  findUser(username: string): Promise<UserRecord | null>;
  listUsers(): Promise<UserRecord[]>;
  updateUser(user: UserRecord): Promise<void>;
  /** Deletes the user and revokes their keys and sign-in sessions; false when there was none. */
  deleteUser(id: string): Promise<boolean>;

  // ---- Sessions -----------------------------------------------------------------------------
  /** Stores a new session (its `images` and `job_ids` empty). */
  createSession(session: Session): Promise<void>;
  getSession(id: string): Promise<Session | null>;
  listSessions(): Promise<Session[]>;
  /**
   * Appends an image, atomically across instances. MUST throw session_not_found (missing or past
   * `expires_at` at `now`), session_closed (finalized) or session_full (at max_images). Returns the
   * number of images after the append.
   */
  addSessionImage(id: string, image: SessionImage, now: number): Promise<number>;
  /** Changes status / how far generates reached, and appends a job id. */
  updateSession(id: string, patch: { status?: Session['status']; generated_through?: number; job_id?: string }): Promise<void>;
  /** Deletes the session and its images' blobs; false when there was none. */
  deleteSession(id: string): Promise<boolean>;
  /** Deletes sessions whose `expires_at` is before `now` (with their images); returns how many. */
  purgeExpiredSessions(now: number): Promise<number>;

  // ---- Workers (presence, so every instance can report status) ------------------------------
  /** May answer at once, like listWorkers (the embedded engine does). */
  putWorker(info: WorkerInfo): Now<void>;
  removeWorker(id: string): Promise<void>;
  listWorkers(): Now<WorkerInfo[]>;

  // ---- Blobs --------------------------------------------------------------------------------
  putBlob(meta: BlobMeta, bytes: Buffer): Promise<void>;
  /**
   * Stores an upload (meta.job_id null, meta.owner set) from `file`, which the engine takes over:
   * moved where it can be, else read and removed. Until a job claims it, it counts in
   * uploadedBytes(owner) and is purged by purgeUploadsBefore.
   */
  putUpload(meta: BlobMeta, file: string): Promise<void>;
  /**
   * Optional: connections counted across the instances sharing this engine (Redis). Without it
   * every instance counts its own (the embedded engine has one instance).
   */
  readonly connectionCounts?: ConnectionCounts;
  /** The job `jobId` uses upload `id`: it is the job's from now on (deleted with it). MUST do nothing to a blob a job has already. */
  claimUpload(id: string, jobId: string): Promise<void>;
  /** Bytes of `owner`'s uploads that no job has claimed. */
  uploadedBytes(owner: string): Promise<number>;
  /** Deletes the uploads no job claimed that were stored before `before`; returns how many. */
  purgeUploadsBefore(before: number): Promise<number>;
  getBlob(id: string): Promise<{ meta: BlobMeta; bytes: Buffer } | null>;
  /**
   * Holds a partial event's file (live media) for a while — in memory or with an expiry, never
   * written to disk. getBlob MUST find it from every instance for at least a moment after (the
   * followers push it on); once out of the engine's window it MAY answer null. MUST throw
   * input_too_large for bytes the window could never hold.
   */
  putLiveBlob(meta: BlobMeta, bytes: Buffer): Promise<void>;
  /**
   * Optional, for an engine that holds live media in its own memory (the embedded one): memory for
   * a live file of `size` bytes about to arrive, lent (lent-bytes.ts) so a worker's frame is read
   * straight into it; putLiveBlob then keeps it without a copy. Undefined: allocate as usual.
   */
  reserveLiveBlob?(size: number): Buffer | undefined;
  /**
   * Optional, like reserveLiveBlob: a live file's bytes as held, lent for one socket write (the
   * pushes of `push_files`) instead of copied; undefined when the file is not held here.
   */
  lendLiveBlob?(id: string): { meta: BlobMeta; bytes: Buffer } | undefined;

  // ---- Bus ----------------------------------------------------------------------------------
  /** Broadcasts to every gateway instance, this one included, in publish order (with publishEvent's too). */
  publish(channel: string, message: string): void;
  /**
   * Broadcasts one event line of a job the same way. One publish per event, never one per
   * subscriber (each instance fans out to its own); the embedded engine hands the four values to
   * its listeners as they are, the Redis engine encodes them on the space's channel.
   */
  publishEvent(spaceId: string, jobId: string, ownerId: string, line: string): void;
  subscribe(listener: BusListener): () => void;

  /** Flushes what is buffered and releases resources. MUST be idempotent. */
  close(): Promise<void>;
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

/**
 * Open connections per budget key on every instance of a shared engine (Engine.connectionCounts).
 * `opened` and `closed` count this instance's and MUST NOT throw (a count that fails to reach the
 * store is lost, not raised); `count` answers for the instances alive.
 */
export interface ConnectionCounts {
  opened(budget: string): void;
  closed(budget: string): void;
  count(budget: string): Promise<number>;
}

/** A budget on a submit: at most `max` unfinished jobs of the space under `key` (core/budgets.ts). */
export interface JobQuota {
  key: string;
  max: number;
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
  created_at: number;
  revoked_at: number | null;
}

/** What an instance hears on the bus. */
export interface BusListener {
  /** An event line of a job (publishEvent). */
  jobEvent(spaceId: string, jobId: string, ownerId: string, line: string): void;
  /** Anything else, by channel (the control messages between instances). */
  message(channel: string, message: string): void;
}

/** What broadcasting a job's event needs to know of the job. */
export interface StreamedJob {
  id: string;
  spaceId: string;
  ownerId: string;
}

export interface LeaseHolder {
  workerId: string;
  attempt: number;
}

export interface Appended {
  seq: number;
  line: string;
}

export interface EventRange {
  lines: string[];
  /** Oldest seq still kept (events before it were trimmed by the log bound). */
  firstSeq: number;
  /** Newest seq appended so far (0 when the log is empty). */
  lastSeq: number;
  /** The job has reached a final state: no event will follow lastSeq. */
  final: boolean;
}

export interface BlobMeta {
  id: string;
  name: string;
  mime: string;
  size: number;
  created_at: number;
  /** The job the blob belongs to (input or result), so retention can delete it with the job. */
  job_id: string | null;
  /** An upload (POST /v1/blobs): the budget key of who stored it, until a job claims it. */
  owner?: string | null;
}

export interface EngineOptions {
  /** Most events kept per job; older ones are trimmed (a resume before them reports resume_gap). @default 10_000 */
  maxEventsPerJob?: number;
  /** How long a partial event's file is held for clients that replay it (putLiveBlob). @default 60_000 */
  liveMediaMs?: number;
}
