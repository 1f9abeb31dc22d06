/**
 * Every error Spaceport reports has a stable `code` from this catalogue. The HTTP status is what the
 * REST API answers with; WebSocket endpoints send `{ type: "error", code, message }` and keep the
 * connection open unless the code is listed in close-codes.ts. docs/errors.md documents each one.
 */
export const ERRORS = {
  // Malformed input (the connection stays up)
  invalid_json: { status: 400, text: 'The message is not valid JSON.' },
  invalid_message: { status: 400, text: 'The message does not match its schema.' },
  unknown_type: { status: 400, text: 'The message type is not part of this protocol.' },
  message_too_large: { status: 413, text: 'The message is larger than this endpoint accepts.' },
  rate_limited: { status: 429, text: 'Too many messages; slow down.' },
  incomplete_upload: { status: 400, text: 'Binary parts announced by a message did not all arrive.' },
  unexpected_binary: { status: 400, text: 'A binary frame arrived that no message announced.' },
  // Authentication and authorisation
  unauthorized: { status: 401, text: 'Missing or invalid credentials.' },
  forbidden: { status: 403, text: 'These credentials may not do this.' },
  origin_not_allowed: { status: 403, text: 'The Origin of this request is not allowed.' },
  // Spaces and inputs
  space_not_found: { status: 404, text: 'No space has that name.' },
  space_exists: { status: 409, text: 'A space with that name already exists.' },
  user_exists: { status: 409, text: 'A user with that name already exists.' },
  user_not_found: { status: 404, text: 'No user has that name.' },
  bad_credentials: { status: 401, text: 'Wrong username or password.' },
  input_not_accepted: { status: 422, text: 'This space does not accept that kind of input.' },
  mime_not_allowed: { status: 415, text: 'This space does not accept that MIME type.' },
  input_too_large: { status: 413, text: 'An input is larger than the space allows.' },
  invalid_options: { status: 400, text: 'The options do not fit the options schema of the space.' },
  webhook_not_allowed: { status: 400, text: 'Webhooks may not be sent there (not http(s), or a private address not allowed).' },
  queue_full: { status: 503, text: 'The space queue is full; try again later.' },
  quota_exceeded: { status: 429, text: 'You hold as many of these as one caller may (jobs in a space, sessions, connections or stored uploads).' },
  // Jobs
  job_not_found: { status: 404, text: 'No job has that id (or it is past retention).' },
  job_finished: { status: 409, text: 'The job has already finished.' },
  idempotency_conflict: { status: 409, text: 'That idempotency key was used for a different request.' },
  job_not_retryable: { status: 409, text: 'Only a job that ended without a result (failed, timed out or cancelled) can be retried.' },
  resume_gap: { status: 410, text: 'Some events before the requested seq are no longer kept.' },
  timed_out: { status: 504, text: 'The job did not finish within the space timeout.' },
  worker_lost: { status: 503, text: 'Workers holding the job were lost more times than the space allows.' },
  worker_error: { status: 500, text: 'The worker reported an error while running the job.' },
  cancelled: { status: 409, text: 'The job was cancelled.' },
  output_too_large: { status: 413, text: "The job's output passed what one job may send; the job failed." },
  // Workers
  stale_lease: { status: 409, text: 'This worker no longer holds the job; the message was discarded.' },
  unknown_space: { status: 404, text: 'A space named in the registration does not exist.' },
  not_registered: { status: 409, text: 'Register before sending job messages.' },
  already_registered: { status: 409, text: 'This connection is already registered.' },
  // Blobs
  blob_not_found: { status: 404, text: 'No blob has that id.' },
  session_not_found: { status: 404, text: 'No session has that id (or it expired).' },
  session_full: { status: 409, text: 'The session already holds its maximum number of images.' },
  session_closed: { status: 409, text: 'The session is finalized; it takes no more images or generates.' },
  session_empty: { status: 409, text: 'The session has no images (or none new since the last generate) to work on.' },
  // Server
  too_many_connections: { status: 503, text: 'The gateway is at its connection limit.' },
  slow_consumer: { status: 503, text: 'The connection fell too far behind its outbound buffer.' },
  shutting_down: { status: 503, text: 'The gateway is shutting down.' },
  busy: { status: 503, text: 'The gateway is receiving as much as it takes at once; retry shortly.' },
  unavailable: { status: 503, text: 'The job store is unreachable right now; nothing was accepted. Retry shortly.' },
  not_found: { status: 404, text: 'No such route.' },
  method_not_allowed: { status: 405, text: 'That method is not allowed on this route.' },
  internal_error: { status: 500, text: 'An unexpected error occurred; it has been logged.' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** The one error type that crosses layers: a code from the catalogue plus a human message. */
export class SpaceportError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERRORS[code].text);
    this.name = 'SpaceportError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  toJSON(): { code: ErrorCode; message: string } & Record<string, unknown> {
    return { ...this.details, code: this.code, message: this.message };
  }
}

/** Maps anything thrown to a SpaceportError; unknown errors become internal_error (and are logged by the caller). */
export function asSpaceportError(err: unknown): SpaceportError {
  if (err instanceof SpaceportError) return err;
  return new SpaceportError('internal_error');
}
