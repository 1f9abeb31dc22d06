/**
 * Words the wire and the core share, defined here on the ground floor so the schemas need nothing
 * above them: the kinds of input a space can accept, and what a space's name may be.
 */
export const INPUT_KINDS = ['prompt', 'image', 'audio', 'video', 'files'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

/** A job's states: queued → assigned → running → completed / failed / cancelled / timed_out. */
export type JobState = 'queued' | 'assigned' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timed_out';

/** Space names appear in paths and topics: keep them to a safe, readable alphabet. */
export const SPACE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
