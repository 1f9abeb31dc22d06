/**
 * WebSocket close codes Spaceport sends. 1000–1015 are RFC 6455's; 4000–4999 are ours.
 * A client that sees 1001, 1012, 1013 or slow_consumer should reconnect and resume by seq.
 */
export const CLOSE = {
  normal: 1000,
  /** The gateway is going away (shutdown) — reconnect elsewhere or later. */
  goingAway: 1001,
  /** ws sends this itself when a frame exceeds maxPayload. */
  messageTooLarge: 1009,
  /** The gateway is restarting — reconnect and resume. */
  serviceRestart: 1012,
  /** Authentication failed (bad or missing token for an endpoint that requires one). */
  unauthorized: 4001,
  /**
   * The credential the connection was opened with was revoked: an API key revoked, a sign-out, the
   * user deleted or their role changed, a worker token revoked. Do not reconnect with it.
   */
  credentialRevoked: 4003,
  /** The registration named a space that does not exist, or the token may not serve it. */
  registrationFailed: 4004,
  /** The client could not keep up: its outbound buffer passed the limit. Resume by seq. */
  slowConsumer: 4008,
  /** No message in either direction for idleTimeoutMs. */
  idle: 4010,
} as const;
