/**
 * Checks that the hot messages' hand-written decoders share (worker-messages.ts, client-messages.ts):
 * the same rules as their schemas in common-schemas.ts, without a schema's walk. Anything they do
 * not accept goes through the full schema, so a rejected message's error reads the same.
 */

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A job id as `JobId` takes it. */
export const isJobId = (v: unknown): boolean => typeof v === 'string' && v.length > 0 && v.length <= 64;

/** A request id as `RequestId` takes it (absent, a string of at most 128, or a number). */
export const isRequestId = (v: unknown): boolean => v === undefined || typeof v === 'number' || (typeof v === 'string' && v.length <= 128);

/** No key outside `keys` (the schema would strip one; such a message takes the schema's path). */
export function hasOnly(v: Record<string, unknown>, keys: readonly string[]): boolean {
  for (const key in v) if (!keys.includes(key)) return false;
  return true;
}
