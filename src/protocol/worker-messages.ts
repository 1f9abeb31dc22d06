import { z } from 'zod';
import { BASE64_PATTERN, Base64, JobId, MIME_PATTERN, Mime, Name } from './common-schemas.ts';
import { hasOnly, isJobId, isObject } from './hand-checks.ts';
import { RESULT_DATA_BOUNDS, ResultData, jsonBoundsProblem } from './json-bounds.ts';
import { SpaceDeclaration } from './space-presentation.ts';

/** A file in a worker's result or partial: inline base64, or a binary frame that follows the message. */
const ResultFile = z.union([z.object({ name: Name, mime: Mime, data: Base64 }).strict(), z.object({ name: Name, mime: Mime, binary: z.literal(true) }).strict()]);

/** Messages a worker sends on /v1/worker. */
/**
 * A worker's number for its message about a job: 1, 2, 3, … over the attempt's events (started,
 * progress, token, partial, result, error). Optional; with it, a message sent again after a
 * re-attach is taken once (docs/protocol.md).
 */
const MessageNumber = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional();

export const WorkerMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('register'),
    token: z.string().max(512).optional(),
    spaces: z.array(z.string().min(1).max(64)).min(1).max(64),
    slots: z.number().int().min(1).max(1024).default(1),
    name: z.string().max(128).optional(),
    /** Per space it registers into: how the space presents itself — output kind, options schema, examples (space-presentation.ts). */
    declare: z
      .record(z.string().min(1).max(64), SpaceDeclaration)
      .refine((d) => Object.keys(d).length <= 64, 'at most 64 spaces')
      .optional(),
    /** A reconnecting worker: the id it had, and the jobs it still runs (each with its attempt). */
    reattach: z
      .object({
        worker: z.string().min(1).max(64),
        jobs: z.array(z.object({ job: JobId, attempt: z.number().int().min(1) })).max(1024),
      })
      .optional(),
  }),
  z.object({ type: z.literal('heartbeat') }),
  z.object({ type: z.literal('started'), job: JobId, n: MessageNumber }),
  z.object({ type: z.literal('progress'), job: JobId, progress: z.number().min(0).max(1), message: z.string().max(1024).optional(), n: MessageNumber }),
  z.object({ type: z.literal('token'), job: JobId, text: z.string(), n: MessageNumber }),
  z.object({ type: z.literal('partial'), job: JobId, data: ResultData.optional(), files: z.array(ResultFile).max(32).optional(), n: MessageNumber }),
  z.object({ type: z.literal('result'), job: JobId, data: ResultData.optional(), files: z.array(ResultFile).max(32).optional(), n: MessageNumber }),
  /** `retryable`: trying again may succeed (a busy or flaky dependency): the space's backoff and attempts apply (docs/queue.md). */
  z.object({ type: z.literal('error'), job: JobId, message: z.string().max(4096), code: z.string().max(64).optional(), retryable: z.boolean().optional(), n: MessageNumber }),
  z.object({ type: z.literal('cancelled'), job: JobId }),
  z.object({ type: z.literal('drain'), draining: z.boolean().default(true) }),
]);

export type WorkerMessage = z.infer<typeof WorkerMessage>;

/** Whether a message's `n` is absent or a count (MessageNumber), checked by hand. */
const isMessageNumber = (n: unknown): boolean => n === undefined || (Number.isSafeInteger(n) && (n as number) >= 1);
export const WORKER_TYPES: ReadonlySet<string> = new Set(WorkerMessage.options.map((o) => o.shape.type.value));

type StreamedMessage = Extract<WorkerMessage, { type: 'token' | 'started' | 'progress' | 'partial' | 'result' }>;

function isResultFile(f: unknown): boolean {
  if (!isObject(f)) return false;
  const { name, mime } = f;
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) return false;
  if (typeof mime !== 'string' || mime.length < 3 || mime.length > 255 || !MIME_PATTERN.test(mime)) return false;
  if ('binary' in f) return f.binary === true && hasOnly(f, ['name', 'mime', 'binary']);
  return typeof f.data === 'string' && BASE64_PATTERN.test(f.data) && hasOnly(f, ['name', 'mime', 'data']);
}

const isResultFiles = (files: unknown): boolean => files === undefined || (Array.isArray(files) && files.length <= 32 && files.every(isResultFile));

/**
 * The hot path: what a worker streams — tokens above all, and a `started`, `progress`, `partial`
 * (a frame of live media) or `result` per job — checked by hand with the schema's rules. A schema
 * validation costs more than the rest of relaying a token, and on the media path, where each
 * message comes between megabytes that flush the CPU's caches, it was a tenth of the gateway's
 * JavaScript. Anything not exactly a valid message of these kinds (an unknown key, which the schema
 * would strip; anything invalid) returns null and goes through the full decoder as usual, so
 * errors read the same.
 */
export function asStreamed(value: unknown): StreamedMessage | null {
  if (!isObject(value) || !isJobId(value.job) || !isMessageNumber(value.n)) return null;
  switch (value.type) {
    case 'token':
      return typeof value.text === 'string' && hasOnly(value, ['type', 'job', 'text', 'n']) ? (value as StreamedMessage) : null;
    case 'started':
      return hasOnly(value, ['type', 'job', 'n']) ? (value as StreamedMessage) : null;
    case 'progress': {
      const { progress, message } = value;
      const valid = typeof progress === 'number' && progress >= 0 && progress <= 1 && (message === undefined || (typeof message === 'string' && message.length <= 1024));
      return valid && hasOnly(value, ['type', 'job', 'progress', 'message', 'n']) ? (value as StreamedMessage) : null;
    }
    case 'partial':
    case 'result':
      if (value.data !== undefined && jsonBoundsProblem(value.data, RESULT_DATA_BOUNDS) !== null) return null;
      return isResultFiles(value.files) && hasOnly(value, ['type', 'job', 'data', 'files', 'n']) ? (value as StreamedMessage) : null;
    default:
      return null;
  }
}
