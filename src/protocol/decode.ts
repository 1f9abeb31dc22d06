import type { z } from 'zod';
import { SpaceportError } from './errors.ts';

export type Decoded<T> = { ok: true; value: T; id?: string | number } | { ok: false; error: SpaceportError; id?: string | number };

/**
 * Decodes one text frame against a discriminated union. Never throws: malformed JSON, a missing or
 * unknown `type` and schema mismatches each come back as their documented error, with the request
 * `id` when one could be read so the client can correlate the error.
 */
export function decodeMessage<T>(raw: string, schema: z.ZodType<T>, knownTypes: ReadonlySet<string>, idField = 'id', fast?: (value: unknown) => T | null): Decoded<T> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, error: new SpaceportError('invalid_json') };
  }
  const quick = fast?.(data);
  if (quick) return { ok: true, value: quick };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, error: new SpaceportError('invalid_message', 'A message must be a JSON object with a "type".') };
  }
  const record = data as Record<string, unknown>;
  const idValue = record[idField];
  const id = typeof idValue === 'string' || typeof idValue === 'number' ? idValue : undefined;
  const fail = (error: SpaceportError): Decoded<T> => (id === undefined ? { ok: false, error } : { ok: false, error, id });
  if (typeof record.type !== 'string') return fail(new SpaceportError('invalid_message', 'The message has no string "type".'));
  if (!knownTypes.has(record.type)) {
    return fail(new SpaceportError('unknown_type', `Unknown message type "${record.type.slice(0, 64)}".`));
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'message';
    return fail(new SpaceportError('invalid_message', `${record.type}: ${where}: ${issue?.message ?? 'invalid'}`));
  }
  return id === undefined ? { ok: true, value: parsed.data } : { ok: true, value: parsed.data, id };
}
