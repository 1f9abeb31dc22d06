import { z } from 'zod';
import { INPUT_KINDS, SPACE_NAME_PATTERN } from './vocabulary.ts';
import { FileSpec } from './common-schemas.ts';
import { SpaceportError } from './errors.ts';
import { IdempotencyKey } from './idempotency-key.ts';
import { JobWebhook, NotBefore, Priority, WEBHOOK_EVENTS } from './queue-fields.ts';
import { Options } from './json-bounds.ts';
import { presentationFields } from './space-presentation.ts';

const MimePattern = z.string().regex(/^[\w.+-]+\/([\w.+-]+|\*)$/, 'expected a MIME type like image/png or image/*');

/** One input kind: `true` enables it with defaults; an object sets its size cap and MIME types. */
const InputRuleInput = z.union([z.boolean(), z.object({ max_bytes: z.number().int().positive().optional(), mime: z.array(MimePattern).max(64).optional() }).strict()]);

const InputsInput = z.union([
  z.array(z.enum(INPUT_KINDS)).max(INPUT_KINDS.length),
  z.object(Object.fromEntries(INPUT_KINDS.map((k) => [k, InputRuleInput.optional()])) as Record<(typeof INPUT_KINDS)[number], z.ZodOptional<typeof InputRuleInput>>).strict(),
]);
export type InputsInput = z.infer<typeof InputsInput>;

const spaceFields = {
  name: z.string().regex(SPACE_NAME_PATTERN, 'letters, digits, _ . - (up to 64, starting with a letter or digit)'),
  description: z.string().max(2000),
  inputs: InputsInput,
  timeout_s: z.number().int().min(1).max(86_400),
  max_queue: z.number().int().min(1).max(1_000_000),
  max_attempts: z.number().int().min(1).max(100),
  access: z.enum(['public', 'users']),
  open_registration: z.boolean(),
  visibility: z.enum(['public', 'owner']),
  queue_policy: z.enum(['fair', 'fifo']),
  retry_delay_ms: z.number().int().min(0).max(3_600_000),
  retry_max_delay_ms: z.number().int().min(0).max(86_400_000),
  webhook_url: z.string().max(2048).nullable(),
  webhook_events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(6),
  ...presentationFields,
};

export const SpaceCreate = z.object(spaceFields).partial().required({ name: true }).strict();
export const SpaceUpdate = z.object(spaceFields).partial().strict();
export type SpaceCreate = z.infer<typeof SpaceCreate>;
export type SpaceUpdate = z.infer<typeof SpaceUpdate>;

const Username = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$/, '2–64 letters, digits, _ . @ -');
const Password = z.string().min(8, 'at least 8 characters').max(256);

export const LoginRequest = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }).strict();
export const UserCreate = z.object({ username: Username, password: Password, role: z.enum(['admin', 'user']).optional() }).strict();
export const UserUpdate = z.object({ password: Password.optional(), role: z.enum(['admin', 'user']).optional() }).strict();

export const CredentialCreate = z.object({ name: z.string().min(1).max(128).optional() }).strict();
/** An admin's API key: its name, and the highest priority its jobs may ask for (docs/queue.md). */
const FairWeight = z.number().int().min(1).max(100);
export const ApiKeyCreate = z.object({ name: z.string().min(1).max(128).optional(), max_priority: Priority.optional(), fair_weight: FairWeight.optional() }).strict();
export const ApiKeyUpdate = z.object({ max_priority: Priority.nullable().optional(), fair_weight: FairWeight.nullable().optional() }).strict();

export const JobSubmit = z
  .object({
    space: z.string().min(1).max(64),
    prompt: z.string().optional(),
    options: Options.optional(),
    files: z.array(FileSpec).max(32).optional(),
    idempotency_key: IdempotencyKey.optional(),
    priority: Priority.optional(),
    not_before: NotBefore.optional(),
    webhook: JobWebhook.optional(),
  })
  .strict();

/** Parses a REST body, turning the first issue into an invalid_message error. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'body';
  throw new SpaceportError('invalid_message', `${where}: ${issue?.message ?? 'invalid'}`);
}
