import { z } from 'zod';

/**
 * W3C Trace Context's `traceparent` (https://www.w3.org/TR/trace-context/): version, trace id,
 * parent span id, flags, in lowercase hex. Version ff and all-zero ids are invalid. A submit may
 * carry one (the `traceparent` header over HTTP, a field over WebSocket); the worker gets the
 * gateway's continuation of it with the job.
 */
const TRACEPARENT = /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

export function isTraceparent(value: unknown): value is string {
  return typeof value === 'string' && value.length === 55 && TRACEPARENT.test(value);
}

export const Traceparent = z.string().refine(isTraceparent, 'expected a W3C traceparent like 00-<32 hex>-<16 hex>-01');
