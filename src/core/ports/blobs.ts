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

/** How long live media is held, and within how many bytes, when a deployment does not say: one default for both engines and the gateway's settings. */
export const LIVE_MEDIA_DEFAULTS = { ms: 60_000, bytes: 64 * 1024 * 1024 } as const;

/** The blobs port: files, byte for byte — a job's inputs and results, uploads, and live media. */
export interface BlobStore {
  /** Stores a file; with a `job_id` it is deleted with that job. */
  putBlob(meta: BlobMeta, bytes: Buffer): Promise<void>;
  /**
   * Stores an upload (meta.job_id null, meta.owner set) from `file`, which the engine takes over:
   * moved where it can be, else read and removed. Until a job claims it, it counts in
   * uploadedBytes(owner) and is purged by purgeUploadsBefore.
   */
  putUpload(meta: BlobMeta, file: string): Promise<void>;
  /** The job `jobId` uses upload `id`: it is the job's from now on (deleted with it). MUST do nothing to a blob a job has already. */
  claimUpload(id: string, jobId: string): Promise<void>;
  /** Bytes of `owner`'s uploads that no job has claimed. */
  uploadedBytes(owner: string): Promise<number>;
  /** Deletes the uploads no job claimed that were stored before `before`; returns how many. */
  purgeUploadsBefore(before: number): Promise<number>;
  getBlob(id: string): Promise<{ meta: BlobMeta; bytes: Buffer } | null>;
  /**
   * Deletes these blobs (bytes and record). For the inline files of a submit that was not taken — the
   * queue or a budget refused it, or its idempotency key named a job already there — so the files
   * stored for a job that never came to be are not kept for ever. Unknown ids are skipped.
   */
  deleteBlobs(ids: string[]): Promise<void>;
  /**
   * Holds a partial event's file (live media) for a while — in memory or with an expiry, never
   * written to disk. getBlob MUST find it from every instance for at least a moment after (the
   * followers push it on); once out of the engine's window it MAY answer null. MUST throw
   * input_too_large for bytes the window could never hold.
   */
  putLiveBlob(meta: BlobMeta, bytes: Buffer): Promise<void>;
  /**
   * Optional: memory for a live file of `size` bytes about to arrive, lent (lent-bytes.ts in
   * protocol/) so a worker's frame is read straight into it, then given to putLiveBlob and given
   * back once put. The embedded engine keeps the memory as the file (no copy); Redis writes the
   * file on from it, and takes the memory back for the next. Undefined: allocate as usual.
   */
  reserveLiveBlob?(size: number): Buffer | undefined;
  /**
   * Optional, like reserveLiveBlob: a live file's bytes as held, lent for one socket write (the
   * pushes of `push_files`) instead of copied; undefined when the file is not held here.
   */
  lendLiveBlob?(id: string): { meta: BlobMeta; bytes: Buffer } | undefined;
  /**
   * Optional, for an engine that reads files from elsewhere (Redis): getBlob, with the bytes read
   * into memory it lends (lent-bytes.ts in protocol/) for one socket write that gives them back
   * (the pushes of `push_files`). Undefined: getBlob.
   */
  lendBlob?(id: string): Promise<{ meta: BlobMeta; bytes: Buffer } | null>;
}
