import type { Clock } from './clock.ts';
import type { Engine } from './engine-port.ts';
import { newTimeOrderedId } from './ids.ts';
import type { Delivery } from './ports/deliveries.ts';
import type { JobEnd, JobTag, Telemetry } from './telemetry.ts';
import { publicJob, type Job, type Space } from './types.ts';
import { WEBHOOK_EVENTS } from '../protocol/queue-fields.ts';

/** The events a webhook may ask for (docs/webhooks.md); the job's state names each. */
export { WEBHOOK_EVENTS };
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** What a webhook gets when it names no events: every end. */
export const DEFAULT_WEBHOOK_EVENTS: WebhookEvent[] = ['completed', 'failed', 'cancelled', 'timed_out'];

/** Sends one delivery, signed with the space's secret: its HTTP status, or a throw (`refused` for a destination not allowed). */
export type WebhookSender = (delivery: Delivery, secret: string) => Promise<number>;

/** A destination the gateway will not send to (server/webhook-destinations.ts): given up on at once. */
export class RefusedDestination extends Error {}

export interface WebhookOptions {
  /** How often each instance looks for due deliveries. @default 1000 */
  webhookIntervalMs?: number;
  /** The first retry's delay, doubled per attempt (up to an hour). @default 1000 */
  webhookRetryMs?: number;
  /** Attempts before a delivery is given up on. @default 8 */
  webhookAttempts?: number;
}

/**
 * A delivery's body at most: a job's result can be megabytes, kept once per delivery and sent on
 * every attempt; past this the result's data is left out (`result.data_omitted`: fetch the job).
 */
const MAX_BODY_BYTES = 64 * 1024;

/** The body of a delivery: the event and the job, its result's data left out when too large. */
function deliveryBody(id: string, type: string, at: number, job: Job, progress?: object): string {
  const event = { id, type, created_at: new Date(at).toISOString(), job: publicJob(job), ...(progress && { progress }) };
  const body = JSON.stringify(event);
  if (Buffer.byteLength(body) <= MAX_BODY_BYTES || !event.job.result) return body;
  return JSON.stringify({ ...event, job: { ...event.job, result: { ...(event.job.result as object), data: null, data_omitted: true } } });
}

/** How long a sender holds the deliveries it took: past a request's timeout, so none is sent twice at once. */
const HOLD_MS = 30_000;
/** A job's progress is sent at most this often (the first report at once). */
const PROGRESS_EVERY_MS = 5000;
/** How long a space's webhook setting is trusted without reading it again (changes on this instance, or told by another, clear it at once). */
const SPACE_CACHE_MS = 5000;
const BATCH = 16;

/**
 * Webhooks (docs/webhooks.md): a job's start, progress and end, for a webhook that asks for them
 * (its space's, named by an admin, or its own), become deliveries (ports/deliveries.ts) on the
 * instance that saw them happen — once — and every
 * instance sends what is due, each delivery by one of them at a time, retrying with backoff until
 * it is answered 2xx or given up on. Told of jobs as telemetry is (`observe`).
 */
export class Webhooks {
  private stopTimer: (() => void) | undefined;
  /** When each running job's progress was last sent. */
  private readonly progressAt = new Map<string, number>();
  /** Spaces by name as last read, for their webhook settings (SPACE_CACHE_MS; `forgetSpace`). */
  private readonly spaces = new Map<string, { space: Space | null; at: number }>();
  private sending = false;

  constructor(
    private readonly engine: Engine,
    private readonly send: WebhookSender,
    private readonly clock: Clock,
    private readonly onError: (err: unknown, stage: string) => void,
    private readonly options: WebhookOptions = {},
  ) {}

  /** The telemetry, telling this of job starts, progress and ends as well. */
  observe(telemetry: Telemetry): Telemetry {
    return {
      ...telemetry,
      jobStarted: (job: JobTag, waitMs: number) => {
        telemetry.jobStarted(job, waitMs);
        this.note(job, 'started');
      },
      jobProgress: (job: JobTag, progress: number, message: string | undefined) => {
        telemetry.jobProgress(job, progress, message);
        // At most one every PROGRESS_EVERY_MS per job: a worker may report progress per frame.
        const now = this.clock.now();
        const last = this.progressAt.get(job.job);
        if (last !== undefined && now - last < PROGRESS_EVERY_MS) return;
        if (this.progressAt.size >= 10_000) this.progressAt.clear(); // jobs that ended on other instances
        this.progressAt.set(job.job, now);
        this.note(job, 'progress', { progress, ...(message !== undefined && { message }) });
      },
      jobEnded: (end: JobEnd) => {
        telemetry.jobEnded(end);
        this.progressAt.delete(end.job);
        if ((WEBHOOK_EVENTS as readonly string[]).includes(end.state)) this.note(end, end.state as WebhookEvent);
      },
    };
  }

  start(): void {
    this.stopTimer = this.clock.every(this.options.webhookIntervalMs ?? 1000, () => void this.deliverDue());
  }

  stop(): void {
    this.stopTimer?.();
  }

  /** Sends what is due now (on the timer; also callable to hurry). */
  async deliverDue(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      const taken = await this.engine.takeDeliveries(this.clock.now(), BATCH, HOLD_MS);
      await Promise.all(taken.map((d) => this.attempt(d)));
    } catch (err) {
      this.onError(err, 'webhooks');
    } finally {
      this.sending = false;
    }
  }

  private note(job: JobTag, event: WebhookEvent, progress?: object): void {
    this.queue(job, event, progress).catch((err) => this.onError(err, 'webhooks'));
  }

  /**
   * One delivery per webhook that asks for the event: the space's, and the job's own. Every job's
   * start and end pass here, most with no webhook: the space comes from a short-lived cache
   * (`forgetSpace` when one changes) and the job is read again only when a webhook wants it.
   */
  private async queue(tag: JobTag, event: WebhookEvent, progress?: object): Promise<void> {
    const space = await this.spaceNamed(tag.space);
    if (!space) return;
    const urls = [];
    if (space.webhook_url && (space.webhook_events ?? DEFAULT_WEBHOOK_EVENTS).includes(event)) urls.push(space.webhook_url);
    if (urls.length === 0 && !tag.webhook) return;
    const job = await this.engine.getJob(tag.job);
    if (!job) return;
    if (job.webhook && (job.webhook.events ?? DEFAULT_WEBHOOK_EVENTS).includes(event)) urls.push(job.webhook.url);
    const now = this.clock.now();
    const type = `job.${event}`;
    for (const url of urls) {
      const id = newTimeOrderedId('dlv');
      const body = deliveryBody(id, type, now, job, progress);
      await this.engine.queueDelivery({ id, space_id: space.id, job_id: job.id, url, event: type, body, attempts: 0, state: 'pending', next_at: now, created_at: now });
    }
    if (urls.length > 0) void this.deliverDue();
  }

  /** A space changed (or was deleted): its webhook is read again next time. */
  forgetSpace(spaceId: string): void {
    for (const [name, cached] of this.spaces) if (cached.space?.id === spaceId) this.spaces.delete(name);
  }

  private async spaceNamed(name: string): Promise<Space | null> {
    const cached = this.spaces.get(name);
    if (cached && this.clock.now() - cached.at < SPACE_CACHE_MS) return cached.space;
    const space = await this.engine.getSpace(name);
    this.spaces.set(name, { space, at: this.clock.now() });
    return space;
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const space = await this.engine.getSpaceById(delivery.space_id);
    const attempts = delivery.attempts + 1;
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await this.send(delivery, secretOf(space));
    } catch (err) {
      error = (err as Error).message;
      if (err instanceof RefusedDestination) return this.settle({ ...delivery, attempts, state: 'failed', last_status: null, last_error: error });
    }
    if (status !== null && status >= 200 && status < 300) return this.settle({ ...delivery, attempts, state: 'delivered', last_status: status, last_error: null });
    const max = this.options.webhookAttempts ?? 8;
    if (attempts >= max) return this.settle({ ...delivery, attempts, state: 'failed', last_status: status, last_error: error });
    const delay = Math.min(3600_000, (this.options.webhookRetryMs ?? 1000) * 2 ** (attempts - 1));
    await this.engine.settleDelivery({ ...delivery, attempts, next_at: this.clock.now() + delay, last_status: status, last_error: error });
  }

  private settle(delivery: Delivery): Promise<void> {
    return this.engine.settleDelivery({ ...delivery, settled_at: this.clock.now() });
  }
}

/** A space whose webhook was removed still settles what it queued: signed with no secret, refused by its receiver. */
const secretOf = (space: Space | null): string => space?.webhook_secret ?? '';
