/**
 * Who an event was delivered for, where a bus sends each job's events only where they are wanted:
 * `followers` — to the instances whose clients follow the job (it was submitted there, or followed
 * with `follow`); `watchers` — to the instances whose clients watch its space or every space
 * (`watch`). An instance that is both hears it twice, once for each. Undefined: for everyone here.
 */
export type EventReach = 'followers' | 'watchers';

/** What an instance hears on the bus. */
export interface BusListener {
  /** An event line of a job, published by the jobs port as it was appended. */
  jobEvent(spaceId: string, jobId: string, ownerId: string, line: string, reach?: EventReach): void;
  /** Anything else, by channel (the control messages between instances). */
  message(channel: string, message: string): void;
}

/**
 * The bus port: broadcast between the gateway instances sharing an engine. Job events travel on
 * it too, published by the jobs port (ports/jobs.ts) as they are appended; the core publishes only
 * its control messages. One publish per message, never one per subscriber (each instance fans
 * out to its own connections).
 */
export interface Bus {
  /**
   * Broadcasts to every instance, this one included. MUST deliver one publisher's messages in the
   * order they were published, across channels and with its job events. A message MUST be one line.
   */
  publish(channel: string, message: string): void;
  /** Every message from now on, until the returned function is called. */
  subscribe(listener: BusListener): () => void;
  /**
   * Where a bus sends job events only where they are wanted (else every instance hears every
   * event and these are absent): the events of job `jobId` reach this instance, as `followers`,
   * from the moment this resolves (the instance that submitted a job follows it from its first
   * event without asking) — false when no such job is kept.
   */
  follow?(jobId: string): Promise<boolean>;
  /** The events of every job of `spaceId` (null: of every space) reach this instance as `watchers` from about now on (`on`), or stop. */
  watch?(spaceId: string | null, on: boolean): void;
}
