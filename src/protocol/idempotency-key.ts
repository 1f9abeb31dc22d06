import { z } from 'zod';

/**
 * A client's idempotency key (`idempotency_key` on a submit, the `Idempotency-Key` header, the id
 * of `PUT /v1/jobs/{key}`): 1–255 visible ASCII characters, no spaces — a UUID, a hash, the
 * client's own request id. The same key from the same caller within the retention period means
 * the same job.
 */
const KEY = /^[\x21-\x7e]{1,255}$/;

export function isIdempotencyKey(value: unknown): value is string {
  return typeof value === 'string' && KEY.test(value);
}

export const IdempotencyKey = z.string().refine(isIdempotencyKey, 'expected 1 to 255 visible ASCII characters without spaces');
