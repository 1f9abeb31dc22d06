import { EventQueue } from './event-queue.ts';
import { FINAL_TYPES, SpaceportError, type JobEvent, type JobPosition, type JobStreamEvent, type RecoveryEvent, type ResultFile } from './types.ts';

type Listener = (event: JobStreamEvent) => void;

/**
 * One job as the client sees it: its events exactly once and in seq order (duplicates from a
 * replay after reconnect are dropped here), as an async iterable, as listeners, or as the final
 * result. Created by SpaceportClient; not constructed by callers.
 */
export class JobHandle implements AsyncIterable<JobStreamEvent> {
  /** The seq of the last event delivered; a resume asks for everything after it. */
  lastSeq = 0;
  /** The epoch of the job's log those numbers belong to (a resume says it, so the gateway can tell whether they still hold). */
  epoch = 1;
  /**
   * The text of the current attempt's tokens. A new attempt (a `queued` event that begins an epoch:
   * the job was requeued) or a `reset` starts it again: two attempts are never spliced into one.
   */
  text = '';
  private readonly queue = new EventQueue<JobStreamEvent>();
  private readonly listeners = new Set<Listener>();
  private final: JobStreamEvent | undefined;
  private readonly settled: Promise<JobStreamEvent>;
  private settle!: (event: JobStreamEvent) => void;

  constructor(
    readonly id: string,
    readonly space: string,
    /** Queue position and ETA: when accepted, then as `queued` events and `position` updates tell. */
    public position: number | null,
    public etaMs: number | null,
    private readonly cancelJob: (id: string) => Promise<void>,
  ) {
    this.settled = new Promise((resolve) => (this.settle = resolve));
  }

  get finished(): boolean {
    return this.final !== undefined;
  }

  /** @internal From the client: a gateway event for this job (possibly a replayed duplicate). */
  deliver(event: JobEvent): void {
    if (this.final || event.seq <= this.lastSeq) return;
    this.lastSeq = event.seq;
    if (event.type === 'queued') [this.position, this.etaMs] = [event.position, event.eta_ms];
    // A new attempt (a requeue, or a retry after an error) begins a new epoch: its text starts over.
    if ((event.type === 'queued' || event.type === 'retry_scheduled') && event.epoch !== undefined) {
      this.epoch = event.epoch;
      this.text = '';
    } else if (event.type === 'token') this.text += event.text;
    this.emit(event);
  }

  /** @internal From the client: the job's place in its queue moved (live state, not numbered). */
  moved(update: JobPosition): void {
    if (this.final) return;
    [this.position, this.etaMs] = [update.position, update.eta_ms];
    this.emit(update);
  }

  /** @internal From the client: events were lost across a reconnect, or no longer hold (`reset`). */
  recover(event: RecoveryEvent): void {
    if (this.final) return;
    if (event.type === 'reset') {
      // The replay that follows starts the current attempt again, with numbers that may repeat ours.
      this.lastSeq = 0;
      this.epoch = event.epoch;
      this.text = '';
    }
    this.emit(event);
  }

  private emit(event: JobStreamEvent): void {
    this.queue.push(event);
    for (const listener of this.listeners) listener(event);
    if (FINAL_TYPES.has(event.type)) {
      this.final = event;
      this.queue.end();
      this.settle(event);
    }
  }

  /**
   * Calls `listener` for every event of the job — those already received first (they can arrive
   * together with the acceptance, before the caller had a chance to listen), then each as it
   * comes. Returns the function that stops it.
   */
  on(listener: Listener): () => void {
    for (const event of this.queue.history) listener(event);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every event from the first, then live, ending after the final one. */
  [Symbol.asyncIterator](): AsyncIterator<JobStreamEvent> {
    return this.queue[Symbol.asyncIterator]();
  }

  /** Just the text of the tokens. A requeue or a `reset` restarts the job's text: `text` keeps the current attempt's, or watch those events. */
  async *tokens(): AsyncIterable<string> {
    for await (const event of this) if (event.type === 'token') yield event.text;
  }

  /** Resolves with the result; rejects with a SpaceportError for failed, cancelled, timed_out or lost. */
  async result(): Promise<{ data: unknown; files: ResultFile[] }> {
    const event = await this.settled;
    switch (event.type) {
      case 'result':
        return { data: event.data, files: event.files };
      case 'failed':
        throw new SpaceportError(event.code, event.message, { job: this.id });
      case 'cancelled':
        throw new SpaceportError('cancelled', event.reason, { job: this.id });
      case 'timed_out':
        throw new SpaceportError('timed_out', event.message, { job: this.id });
      case 'lost':
        throw new SpaceportError(event.code, event.message, { job: this.id });
      default:
        throw new SpaceportError('internal_error', `unexpected final event ${event.type}`);
    }
  }

  /** Asks the gateway to cancel; the `cancelled` event follows (unless the job finished first). */
  cancel(): Promise<void> {
    return this.cancelJob(this.id);
  }
}
