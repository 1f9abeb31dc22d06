/** What to tell a person for each error code (docs/errors.md), in plain words. */
const MESSAGES: Record<string, string> = {
  unauthorized: 'Sign in to use this space (it is open to signed-in users only).',
  forbidden: 'Your account may not do this.',
  space_not_found: 'This space does not exist (any more).',
  input_not_accepted: 'This space does not take that kind of input.',
  mime_not_allowed: 'This space does not accept that file type.',
  input_too_large: 'A file or the prompt is larger than this space allows.',
  queue_full: 'The queue of this space is full. Try again in a little while.',
  timed_out: 'The job took longer than this space allows and was stopped.',
  worker_lost: 'The machine running the job went away too many times; the job was given up.',
  worker_error: 'The model reported an error.',
  cancelled: 'The job was cancelled.',
  rate_limited: 'Too many requests at once; slow down a little.',
  unavailable: 'The gateway cannot reach its job store right now. Nothing was submitted; try again shortly.',
  connection_lost: 'The connection dropped before the gateway answered. Check your history: the job may have been taken.',
  message_too_large: 'That is more data than the gateway accepts in one message.',
  bad_credentials: 'Wrong username or password.',
  origin_not_allowed: 'This page is not allowed to act for your account.',
};

export function explain(code: string, fallback?: string): string {
  return MESSAGES[code] ?? fallback ?? `Something went wrong (${code}).`;
}
