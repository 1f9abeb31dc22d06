import Database from 'libsql';
import type { Job, JobState, Session, Space } from '../../core/types.ts';
import type { BlobMeta } from '../../core/ports/blobs.ts';
import type { JobFilter } from '../../core/ports/jobs.ts';
import type { CredentialRecord, UserRecord } from '../../core/ports/records.ts';
import type { JobRow, StoreWrites } from './journal-records.ts';

/**
 * The embedded engine's durable half: one SQLite file (WAL) in the data directory.
 *
 * Tables (each row keeps the full record as JSON in `body`, plus the columns queries need):
 *   spaces(id, name UNIQUE, body)                      — Space
 *   credentials(id, kind, hash UNIQUE, space_id, body)  — CredentialRecord
 *   jobs(id, space_id, state, rank, finished_at, body)  — Job; rank orders a space's queue
 *                                                         (submits count up, requeues count down
 *                                                         so they sort before everything queued)
 *   event_chunks(job_id, first_seq, last_seq, lines)    — a job's event log, a run of consecutive
 *                                                         events per row (lines joined by "\n",
 *                                                         which serialised JSON never contains):
 *                                                         one insert per flush per job, not per token
 *   blobs(id, job_id, created_at, body)                 — BlobMeta; the bytes are files in blobs/
 *                                                         (job_id is the job's, or the session's)
 *   sessions(id, expires_at, body)                      — Session, images included
 *   users(id, username UNIQUE NOCASE, body)             — UserRecord
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS spaces (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS credentials (id TEXT PRIMARY KEY, kind TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
  space_id TEXT, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, space_id TEXT NOT NULL, state TEXT NOT NULL,
  rank REAL NOT NULL, created_at INTEGER NOT NULL, finished_at INTEGER, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state, rank);
DROP INDEX IF EXISTS jobs_by_finish;
DROP INDEX IF EXISTS jobs_by_created;
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs(finished_at) WHERE finished_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS event_chunks (job_id TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
  lines TEXT NOT NULL, PRIMARY KEY (job_id, first_seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (id TEXT PRIMARY KEY, job_id TEXT, created_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS blobs_by_job ON blobs(job_id);
CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs(json_extract(body, '$.owner.id'), id);
CREATE INDEX IF NOT EXISTS jobs_by_idempotency ON jobs(json_extract(body, '$.idempotency.key'))
  WHERE json_extract(body, '$.idempotency.key') IS NOT NULL;
`;

type Row = { body: string };

export class SqliteStore implements StoreWrites {
  private readonly db: Database.Database;
  private readonly stmt;
  private readonly runInTransaction: Database.Transaction<(fn: () => unknown) => unknown>;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (only an OS crash can lose the last commits).
    this.db.pragma('synchronous = NORMAL');
    // Two processes write this file (the gateway, and its store process applying the journal):
    // a write that finds the other's transaction open waits for it instead of failing.
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.migrateEventRows();
    const db = this.db;
    this.runInTransaction = db.transaction((fn: () => unknown) => fn());
    this.stmt = {
      putSpace: db.prepare('INSERT OR REPLACE INTO spaces (id, name, body) VALUES (?, ?, ?)'),
      deleteSpace: db.prepare('DELETE FROM spaces WHERE id = ?'),
      allSpaces: db.prepare('SELECT body FROM spaces ORDER BY name'),
      putCredential: db.prepare('INSERT OR REPLACE INTO credentials (id, kind, hash, space_id, body) VALUES (?, ?, ?, ?, ?)'),
      allCredentials: db.prepare('SELECT body FROM credentials'),
      deleteSpaceCredentials: db.prepare('DELETE FROM credentials WHERE space_id = ?'),
      // An upsert, not INSERT OR REPLACE: a state change then rewrites only the indexes whose
      // columns changed, instead of deleting and re-inserting the row in all of them.
      putJob: db.prepare(
        'INSERT INTO jobs (id, space_id, state, rank, created_at, finished_at, body) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT(id) DO UPDATE SET state = excluded.state, rank = excluded.rank, finished_at = excluded.finished_at, body = excluded.body',
      ),
      getJob: db.prepare('SELECT body FROM jobs WHERE id = ?'),
      jobByIdempotency: db.prepare("SELECT id FROM jobs WHERE json_extract(body, '$.idempotency.key') = ?"),
      activeJobs: db.prepare("SELECT body, rank FROM jobs WHERE state IN ('queued','assigned','running') ORDER BY rank"),
      // A caller's history reads their index (owner, id); the rest walks the ids, newest first.
      listOwnJobs: db.prepare(
        "SELECT body FROM jobs INDEXED BY jobs_by_owner WHERE json_extract(body, '$.owner.id') = ?3 AND (?1 IS NULL OR space_id = ?1) AND (?2 IS NULL OR state = ?2) AND (?4 IS NULL OR id < ?4) ORDER BY id DESC LIMIT ?5",
      ),
      listJobs: db.prepare('SELECT body FROM jobs WHERE (?1 IS NULL OR space_id = ?1) AND (?2 IS NULL OR state = ?2) AND (?4 IS NULL OR id < ?4) AND ?3 IS NULL ORDER BY id DESC LIMIT ?5'),
      countFinal: db.prepare("SELECT state, COUNT(*) AS n FROM jobs WHERE state NOT IN ('queued','assigned','running') GROUP BY state"),
      finishedBefore: db.prepare('SELECT id, state FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ? LIMIT ?'),
      deleteJob: db.prepare('DELETE FROM jobs WHERE id = ?'),
      putChunk: db.prepare('INSERT OR REPLACE INTO event_chunks (job_id, first_seq, last_seq, lines) VALUES (?, ?, ?, ?)'),
      chunksAfter: db.prepare('SELECT first_seq, lines FROM event_chunks WHERE job_id = ? AND last_seq > ? ORDER BY first_seq'),
      firstSeq: db.prepare('SELECT MIN(first_seq) AS s FROM event_chunks WHERE job_id = ?'),
      trimEvents: db.prepare('DELETE FROM event_chunks WHERE job_id = ? AND last_seq < ?'),
      deleteEvents: db.prepare('DELETE FROM event_chunks WHERE job_id = ?'),
      straddling: db.prepare('SELECT first_seq, last_seq, lines FROM event_chunks WHERE job_id = ? AND first_seq < ? AND last_seq >= ?'),
      deleteChunk: db.prepare('DELETE FROM event_chunks WHERE job_id = ? AND first_seq = ?'),
      putBlob: db.prepare('INSERT OR REPLACE INTO blobs (id, job_id, created_at, body) VALUES (?, ?, ?, ?)'),
      getBlob: db.prepare('SELECT body FROM blobs WHERE id = ?'),
      blobsOfJob: db.prepare('SELECT id FROM blobs WHERE job_id = ?'),
      deleteBlob: db.prepare('DELETE FROM blobs WHERE id = ?'),
      unclaimedBlobs: db.prepare('SELECT body FROM blobs WHERE job_id IS NULL'),
      putUser: db.prepare('INSERT OR REPLACE INTO users (id, username, body) VALUES (?, ?, ?)'),
      allUsers: db.prepare('SELECT body FROM users'),
      deleteUser: db.prepare('DELETE FROM users WHERE id = ?'),
      putSession: db.prepare('INSERT OR REPLACE INTO sessions (id, expires_at, body) VALUES (?, ?, ?)'),
      allSessions: db.prepare('SELECT body FROM sessions'),
      deleteSession: db.prepare('DELETE FROM sessions WHERE id = ?'),
    };
  }

  /** Data directories from before chunks kept one row per event: fold them into chunks once. */
  private migrateEventRows(): void {
    const old = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'events'").get();
    if (!old) return;
    this.db.transaction(() => {
      this.db.exec('INSERT OR IGNORE INTO event_chunks (job_id, first_seq, last_seq, lines) SELECT job_id, seq, seq, line FROM events');
      this.db.exec('DROP TABLE events');
    })();
  }

  transaction<T>(fn: () => T): T {
    return this.runInTransaction(fn) as T;
  }

  /** A transaction that holds the write lock from its start (BEGIN IMMEDIATE): nobody writes between its checks and its writes. */
  lockedTransaction<T>(fn: () => T): T {
    return this.runInTransaction.immediate(fn) as T;
  }

  putSpace(space: Space): void {
    this.stmt.putSpace.run(space.id, space.name, JSON.stringify(space));
  }
  deleteSpace(id: string): void {
    this.transaction(() => {
      this.stmt.deleteSpace.run(id);
      this.stmt.deleteSpaceCredentials.run(id);
    });
  }
  allSpaces(): Space[] {
    return (this.stmt.allSpaces.all() as Row[]).map((r) => JSON.parse(r.body) as Space);
  }

  putCredential(record: CredentialRecord): void {
    this.stmt.putCredential.run(record.id, record.kind, record.hash, record.space_id, JSON.stringify(record));
  }
  allCredentials(): CredentialRecord[] {
    return (this.stmt.allCredentials.all() as Row[]).map((r) => JSON.parse(r.body) as CredentialRecord);
  }

  putJobRow(row: JobRow): void {
    this.stmt.putJob.run(row.id, row.space_id, row.state, row.rank, row.created_at, row.finished_at, row.body);
  }
  /** The job a submit's idempotency key made, if it is still kept. */
  jobIdByIdempotency(key: string): string | null {
    return (this.stmt.jobByIdempotency.get(key) as { id: string } | undefined)?.id ?? null;
  }

  getJob(id: string): Job | null {
    const row = this.stmt.getJob.get(id) as Row | undefined;
    return row ? (JSON.parse(row.body) as Job) : null;
  }
  activeJobs(): Array<{ job: Job; rank: number }> {
    return (this.stmt.activeJobs.all() as Array<Row & { rank: number }>).map((r) => ({ job: JSON.parse(r.body) as Job, rank: r.rank }));
  }
  listJobs(f: JobFilter): Job[] {
    const statement = f.ownerId ? this.stmt.listOwnJobs : this.stmt.listJobs;
    return (statement.all(f.spaceId ?? null, f.state ?? null, f.ownerId ?? null, f.before ?? null, f.limit) as Row[]).map((r) => JSON.parse(r.body) as Job);
  }
  countFinal(): Array<{ state: string; n: number }> {
    return this.stmt.countFinal.all() as Array<{ state: string; n: number }>;
  }
  /** At most `limit` finished jobs that finished before `before`, with their states. */
  finishedBefore(before: number, limit: number): Array<{ id: string; state: JobState }> {
    return this.stmt.finishedBefore.all(before, limit) as Array<{ id: string; state: JobState }>;
  }
  /** Deletes a job with its events and blob rows; returns the blob ids so the caller removes their files. */
  deleteJob(id: string): string[] {
    return this.transaction(() => {
      const blobs = this.deleteBlobRowsOf(id);
      this.stmt.deleteEvents.run(id);
      this.stmt.deleteJob.run(id);
      return blobs;
    });
  }

  /** A run of one job's events with consecutive seqs, `lines` joined by "\n". */
  putChunk(jobId: string, firstSeq: number, lastSeq: number, lines: string): void {
    this.stmt.putChunk.run(jobId, firstSeq, lastSeq, lines);
  }
  /** Drops events before `keepFromSeq`: whole chunks, and the front of a chunk that straddles it. */
  trimEvents(jobId: string, keepFromSeq: number): void {
    this.stmt.trimEvents.run(jobId, keepFromSeq);
    const straddling = this.stmt.straddling.get(jobId, keepFromSeq, keepFromSeq) as { first_seq: number; last_seq: number; lines: string } | undefined;
    if (!straddling) return;
    const kept = straddling.lines.split('\n').slice(keepFromSeq - straddling.first_seq);
    this.stmt.deleteChunk.run(jobId, straddling.first_seq);
    this.stmt.putChunk.run(jobId, keepFromSeq, straddling.last_seq, kept.join('\n'));
  }
  eventsAfter(jobId: string, afterSeq: number): Array<{ seq: number; line: string }> {
    const out: Array<{ seq: number; line: string }> = [];
    for (const chunk of this.stmt.chunksAfter.all(jobId, afterSeq) as Array<{ first_seq: number; lines: string }>) {
      chunk.lines.split('\n').forEach((line, i) => chunk.first_seq + i > afterSeq && out.push({ seq: chunk.first_seq + i, line }));
    }
    return out;
  }
  firstSeq(jobId: string): number | null {
    return (this.stmt.firstSeq.get(jobId) as { s: number | null }).s;
  }

  putBlob(meta: BlobMeta): void {
    this.stmt.putBlob.run(meta.id, meta.job_id, meta.created_at, JSON.stringify(meta));
  }
  getBlob(id: string): BlobMeta | null {
    const row = this.stmt.getBlob.get(id) as Row | undefined;
    return row ? (JSON.parse(row.body) as BlobMeta) : null;
  }
  /** Uploads no job has claimed (read once, at start). */
  unclaimedBlobs(): BlobMeta[] {
    return (this.stmt.unclaimedBlobs.all() as Row[]).map((r) => JSON.parse(r.body) as BlobMeta);
  }
  deleteBlob(id: string): void {
    this.stmt.deleteBlob.run(id);
  }

  putUser(user: UserRecord): void {
    this.stmt.putUser.run(user.id, user.username, JSON.stringify(user));
  }
  allUsers(): UserRecord[] {
    return (this.stmt.allUsers.all() as Row[]).map((r) => JSON.parse(r.body) as UserRecord);
  }
  deleteUser(id: string): void {
    this.stmt.deleteUser.run(id);
  }

  putSession(session: Session): void {
    this.stmt.putSession.run(session.id, session.expires_at, JSON.stringify(session));
  }
  allSessions(): Session[] {
    return (this.stmt.allSessions.all() as Row[]).map((r) => JSON.parse(r.body) as Session);
  }
  /** Deletes a session and the rows of its image blobs; returns those blob ids for their files. */
  deleteSession(id: string): string[] {
    return this.transaction(() => {
      const blobs = this.deleteBlobRowsOf(id);
      this.stmt.deleteSession.run(id);
      return blobs;
    });
  }

  /** Deletes the blob rows owned by a job or a session; returns their ids (the caller removes the files). */
  private deleteBlobRowsOf(ownerId: string): string[] {
    const blobs = (this.stmt.blobsOfJob.all(ownerId) as Array<{ id: string }>).map((r) => r.id);
    for (const blob of blobs) this.stmt.deleteBlob.run(blob);
    return blobs;
  }

  /** Folds the WAL into the database file as far as no reader needs it (the store process, on a timer). */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  /** `pages` = 0 turns SQLite's automatic checkpoint off (another process does it); 1000 is its default. */
  autoCheckpoint(pages: number): void {
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${pages}`);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
