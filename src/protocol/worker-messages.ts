import { z } from 'zod';
import { Base64, JobId, Mime, Name } from './common-schemas.ts';

/** A file in a worker's result or partial: inline base64, or a binary frame that follows the message. */
const ResultFile = z.union([
  z.object({ name: Name, mime: Mime, data: Base64 }).strict(),
  z.object({ name: Name, mime: Mime, binary: z.literal(true) }).strict(),
]);

/** Messages a worker sends on /v1/worker. */
export const WorkerMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('register'),
    token: z.string().max(512).optional(),
    spaces: z.array(z.string().min(1).max(64)).min(1).max(64),
    slots: z.number().int().min(1).max(1024).default(1),
    name: z.string().max(128).optional(),
  }),
  z.object({ type: z.literal('heartbeat') }),
  z.object({ type: z.literal('started'), job: JobId }),
  z.object({ type: z.literal('progress'), job: JobId, progress: z.number().min(0).max(1), message: z.string().max(1024).optional() }),
  z.object({ type: z.literal('token'), job: JobId, text: z.string() }),
  z.object({ type: z.literal('partial'), job: JobId, data: z.unknown().optional(), files: z.array(ResultFile).max(32).optional() }),
  z.object({ type: z.literal('result'), job: JobId, data: z.unknown().optional(), files: z.array(ResultFile).max(32).optional() }),
  z.object({ type: z.literal('error'), job: JobId, message: z.string().max(4096), code: z.string().max(64).optional() }),
  z.object({ type: z.literal('cancelled'), job: JobId }),
  z.object({ type: z.literal('drain'), draining: z.boolean().default(true) }),
]);

export type WorkerMessage = z.infer<typeof WorkerMessage>;
export const WORKER_TYPES: ReadonlySet<string> = new Set(WorkerMessage.options.map((o) => o.shape.type.value));

type TokenMessage = Extract<WorkerMessage, { type: 'token' }>;

/**
 * The hot path: a token is most of what a worker sends. Checked by hand — the same rules as the
 * schema (job 1–64 characters, text a string, nothing else) — it skips a schema validation per
 * token; anything that is not exactly a valid token goes through the full decoder as usual.
 */
export function asToken(value: unknown): TokenMessage | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (v.type !== 'token' || typeof v.job !== 'string' || typeof v.text !== 'string' || v.job.length === 0 || v.job.length > 64) return null;
  for (const key in v) if (key !== 'type' && key !== 'job' && key !== 'text') return null;
  return v as TokenMessage;
}
