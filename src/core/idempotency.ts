import { createHash } from 'node:crypto';
import type { Job } from './types.ts';

/** What a submit asked for, as far as telling a retry from another request goes. */
export interface Asked {
  space: string;
  prompt?: string | undefined;
  options?: Record<string, unknown> | undefined;
  /** Each file as the submit named it: name, type and size, or the blob it names. */
  files: Array<{ name?: string | undefined; mime?: string | undefined; size?: number; blob?: string }>;
}

const digest = (text: string) => createHash('sha256').update(text).digest('base64url');

/**
 * A submit's idempotency (Job.idempotency): the key scoped to the caller who sent it — the same key
 * from someone else is another key — and a fingerprint of what was asked. Both are digests, so the
 * stores keep a fixed-size key whatever the client chose, and no caller id appears in it.
 */
export function idempotencyOf(callerId: string, key: string, asked: Asked): NonNullable<Job['idempotency']> {
  return { key: digest(`${callerId}\n${key}`), fingerprint: digest(JSON.stringify(asked)) };
}
