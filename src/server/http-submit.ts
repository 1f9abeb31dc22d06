import type { IncomingMessage } from 'node:http';
import { SpaceportError } from '../protocol/errors.ts';
import { isIdempotencyKey } from '../protocol/idempotency-key.ts';
import { isTraceparent } from '../protocol/trace-context.ts';
import { readJson } from './http-io.ts';
import type { ServerContext } from './server-context.ts';

/** A submit's JSON body, counted against the bytes the gateway receives at once. */
export function readSubmitBody(req: IncomingMessage, ctx: ServerContext): Promise<unknown> {
  const limit = ctx.config.limits.maxJsonBodyBytes;
  return ctx.bodiesInFlight.during(req, limit, () => readJson(req, limit));
}

/**
 * What a submit's headers say, on every HTTP submit path (the native one and the OpenAI one):
 * its `Idempotency-Key` (a malformed one is refused) and its W3C `traceparent` (a malformed one is
 * ignored, as Trace Context says: the gateway starts a trace of its own).
 */
export function submitHeaders(req: IncomingMessage): { idempotencyKey: string | undefined; traceparent: string | undefined } {
  const key = req.headers['idempotency-key'];
  if (key !== undefined && !isIdempotencyKey(key)) throw new SpaceportError('invalid_message', 'Idempotency-Key: expected 1 to 255 visible ASCII characters without spaces.');
  const traceparent = req.headers.traceparent;
  return { idempotencyKey: key, traceparent: isTraceparent(traceparent) ? traceparent : undefined };
}
