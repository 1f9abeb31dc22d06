import { z } from 'zod';

/** A submit's place in the queue (docs/queue.md): its priority, and a time before which it does not run. */

/** Priorities are integers from -PRIORITY_LIMIT to PRIORITY_LIMIT; higher goes first, 0 unless asked. */
export const PRIORITY_LIMIT = 1000;

export const Priority = z.number().int().min(-PRIORITY_LIMIT).max(PRIORITY_LIMIT);

/** Priority's rules, by hand (the submit's hot path). */
export const isPriority = (value: unknown): value is number => Number.isInteger(value) && Math.abs(value as number) <= PRIORITY_LIMIT;

/** `not_before`: an ISO 8601 time (how far ahead is the core's to bound). */
export const isNotBefore = (value: unknown): value is string => typeof value === 'string' && value.length <= 64 && !Number.isNaN(Date.parse(value));

export const NotBefore = z.string().refine(isNotBefore, 'an ISO 8601 time');

/** The events a webhook may ask for (docs/webhooks.md). */
export const WEBHOOK_EVENTS = ['started', 'progress', 'completed', 'failed', 'cancelled', 'timed_out'] as const;

/** A submit's own webhook: where its events go, and which (default: its end). */
export const JobWebhook = z.object({ url: z.string().min(1).max(2048), events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(6).optional() }).strict();

/**
 * A submit's queue fields as the core takes them (SubmitRequest), from either submit path (`/v1/ws`,
 * `POST /v1/jobs`): the priority, `not_before` as a time in ms, the job's own webhook.
 */
export function queueFieldsOf(submit: { priority?: number | undefined; not_before?: string | undefined; webhook?: z.infer<typeof JobWebhook> | undefined }) {
  return { priority: submit.priority, notBefore: submit.not_before === undefined ? undefined : Date.parse(submit.not_before), webhook: submit.webhook };
}
