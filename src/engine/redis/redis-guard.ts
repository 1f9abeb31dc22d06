import { SpaceportError } from '../../protocol/errors.ts';

/** The codes our scripts refuse with (redis.error_reply('queue_full')), passed on as they are. */
const SCRIPT_ERRORS = {
  queue_full: true,
  quota_exceeded: true,
  space_exists: true,
  user_exists: true,
  session_not_found: true,
  session_closed: true,
  session_full: true,
} as const;

/** Any failure that is not ours means Redis could not be reached or answered: say so plainly. */
export async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof SpaceportError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    // (Redis may append where in the script it happened.)
    const code = /^(?:ERR )?(\w+)/.exec(message)?.[1];
    if (code && code in SCRIPT_ERRORS) throw new SpaceportError(code as keyof typeof SCRIPT_ERRORS);
    throw new SpaceportError('unavailable', `The job store (Redis) is unavailable: ${message}`);
  }
}
