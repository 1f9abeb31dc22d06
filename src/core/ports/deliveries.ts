/**
 * The webhook deliveries port (docs/webhooks.md): what is to be sent where, kept until it has been
 * answered or given up on, and handed to one sender at a time however many instances ask.
 */

/** One event of one job, to one URL; tried until it is answered 2xx or given up on. */
export interface Delivery {
  id: string;
  space_id: string;
  job_id: string;
  url: string;
  /** `job.completed`, `job.failed`, `job.cancelled`, `job.timed_out`, `job.started`. */
  event: string;
  /** The JSON body sent, the same on every attempt. */
  body: string;
  attempts: number;
  state: 'pending' | 'delivered' | 'failed';
  /** When it is next due (while pending). */
  next_at: number;
  created_at: number;
  /** The last attempt's HTTP status, or its error (a refused destination, a timeout). */
  last_status?: number | null;
  last_error?: string | null;
  settled_at?: number | null;
}

export interface DeliveryRecords {
  /** Keeps a new delivery, due at its `next_at`. MUST be durable when it resolves. */
  queueDelivery(delivery: Delivery): Promise<void>;
  /**
   * Takes up to `limit` pending deliveries due at `now` and holds them until `now + holdMs`: none is
   * taken again before then, by any instance (a sender that dies lets go of them by the hold's end).
   */
  takeDeliveries(now: number, limit: number, holdMs: number): Promise<Delivery[]>;
  /** Records an attempt's outcome: delivered, failed for good, or pending again at its `next_at`. */
  settleDelivery(delivery: Delivery): Promise<void>;
  /** The newest deliveries first, at most `limit`; with `spaceId`, that space's. */
  listDeliveries(limit: number, spaceId?: string): Promise<Delivery[]>;
  /** Deletes settled deliveries settled before `before`; returns how many. */
  purgeDeliveriesBefore(before: number): Promise<number>;
}
