import { z } from 'zod';
import { FileSpec, JobId, RequestId } from './common-schemas.ts';
import { hasOnly, isObject, isRequestId } from './hand-checks.ts';
import { OPTIONS_BOUNDS, Options, jsonBoundsProblem } from './json-bounds.ts';
import { IdempotencyKey, isIdempotencyKey } from './idempotency-key.ts';
import { isNotBefore, isPriority, JobWebhook, NotBefore, Priority } from './queue-fields.ts';
import { Traceparent, isTraceparent } from './trace-context.ts';

/** Have the files of the job's partial and result events sent right after each event, as binary frames. */
const PushFiles = z.boolean().optional();

/** Messages a client sends on /v1/ws. Every one may carry an `id` that replies echo. */
export const ClientMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('submit'),
    id: RequestId,
    space: z.string().min(1).max(64),
    prompt: z.string().optional(),
    options: Options.optional(),
    files: z.array(FileSpec).max(32).optional(),
    push_files: PushFiles,
    /** W3C trace context: the job joins the caller's trace (trace-context.ts). */
    traceparent: Traceparent.optional(),
    /** The same key from the same caller again is the same job (idempotency-key.ts). */
    idempotency_key: IdempotencyKey.optional(),
    /** Higher goes first, up to what the caller may ask for (docs/queue.md). */
    priority: Priority.optional(),
    /** Not before this time (ISO 8601): the job waits until then (docs/queue.md). */
    not_before: NotBefore.optional(),
    /** Where this job's events are sent (docs/webhooks.md). */
    webhook: JobWebhook.optional(),
  }),
  z.object({ type: z.literal('cancel'), id: RequestId, job: JobId }),
  z.object({
    type: z.literal('subscribe'),
    id: RequestId,
    topic: z.string().min(1).max(128),
    after_seq: z.number().int().min(0).optional(),
    /** The epoch `after_seq` belongs to (the ack's, or the last `queued` event that carried one). */
    epoch: z.number().int().min(1).optional(),
    push_files: PushFiles,
  }),
  z.object({ type: z.literal('unsubscribe'), id: RequestId, topic: z.string().min(1).max(128) }),
  z.object({ type: z.literal('resume'), id: RequestId, job: JobId, after_seq: z.number().int().min(0), epoch: z.number().int().min(1).optional(), push_files: PushFiles }),
  z.object({ type: z.literal('fetch'), id: RequestId, blob: z.string().min(1).max(64) }),
  z.object({ type: z.literal('ping'), id: RequestId }),
]);

export type ClientMessage = z.infer<typeof ClientMessage>;
export const CLIENT_TYPES: ReadonlySet<string> = new Set(ClientMessage.options.map((o) => o.shape.type.value));

type PlainSubmit = Extract<ClientMessage, { type: 'submit' }>;

/**
 * The hot path: a submit without files (a prompt and options), checked by hand with the schema's
 * rules. In the gateway, between a job's other work, the schema's walk of a submit took as long as
 * the rest of handing the job to its worker. Anything else, or a submit with files or a key the
 * schema would strip, returns null and takes the schema's path, so errors read the same.
 */
export function asPlainSubmit(value: unknown): PlainSubmit | null {
  if (!isObject(value) || value.type !== 'submit' || !isRequestId(value.id)) return null;
  const { space, prompt, options, push_files: pushFiles, traceparent, idempotency_key: idempotencyKey, priority, not_before: notBefore } = value;
  if (typeof space !== 'string' || space.length === 0 || space.length > 64) return null;
  if (prompt !== undefined && typeof prompt !== 'string') return null;
  if (options !== undefined && (!isObject(options) || jsonBoundsProblem(options, OPTIONS_BOUNDS) !== null)) return null;
  if (pushFiles !== undefined && typeof pushFiles !== 'boolean') return null;
  if (traceparent !== undefined && !isTraceparent(traceparent)) return null;
  if (idempotencyKey !== undefined && !isIdempotencyKey(idempotencyKey)) return null;
  if (priority !== undefined && !isPriority(priority)) return null;
  if (notBefore !== undefined && !isNotBefore(notBefore)) return null;
  return hasOnly(value, SUBMIT_KEYS) ? (value as PlainSubmit) : null;
}

const SUBMIT_KEYS = ['type', 'id', 'space', 'prompt', 'options', 'push_files', 'traceparent', 'idempotency_key', 'priority', 'not_before'] as const;
