/** What an instance hears on the bus. */
export interface BusListener {
  /** An event line of a job, published by the jobs port as it was appended. */
  jobEvent(spaceId: string, jobId: string, ownerId: string, line: string): void;
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
}
