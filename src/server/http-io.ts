import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpaceportError } from '../protocol/errors.ts';
import { BODY_BOUNDS, jsonBoundsProblem } from '../protocol/json-bounds.ts';

/** A path segment with its %-escapes decoded; a malformed escape is the caller's error (400), not ours. */
export function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new SpaceportError('invalid_message', 'The path has a malformed %-escape.');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendHtml(res: ServerResponse, html: string, status = 200): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

export function sendError(res: ServerResponse, err: SpaceportError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const retryAfter = retryAfterSeconds(err);
  if (retryAfter !== undefined) res.setHeader('retry-after', String(retryAfter));
  sendJson(res, err.status, { error: err.toJSON() });
}

/** A refusal's Retry-After, in whole seconds (at least 1), when it says when to try again (`retry_after_ms`). */
export function retryAfterSeconds(err: SpaceportError): number | undefined {
  const ms = err.details?.retry_after_ms;
  return typeof ms === 'number' ? Math.max(1, Math.ceil(ms / 1000)) : undefined;
}

/** Reads a body up to `limit` bytes; past it, stops reading and throws input_too_large / message_too_large. */
const CUT_SHORT = 'The request body ended before its end (the connection closed).';

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(new SpaceportError('message_too_large', `The body is ${declared} bytes; the limit is ${limit}.`));
  // Listeners rather than an async iterator: a small body is usually in hand with the headers,
  // and is taken in the same turn instead of a few promise hops later (a submit's first token).
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0)); // read already, by someone else
  return new Promise((resolve, reject) => {
    if (req.destroyed) return reject(new SpaceportError('invalid_message', CUT_SHORT));
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: Error) => {
      req.off('data', take).off('end', done).off('error', done).off('close', closed);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    const take = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      done(new SpaceportError('message_too_large', `The body is over the limit of ${limit} bytes.`));
      req.destroy(); // stops reading, as leaving the loop over it did
    };
    const closed = () => done(new SpaceportError('invalid_message', CUT_SHORT));
    req.on('data', take).on('end', done).on('error', done).on('close', closed);
  });
}

export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readBody(req, limit);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8') || 'null');
  } catch {
    throw new SpaceportError('invalid_json', 'The request body is not valid JSON.');
  }
  const problem = jsonBoundsProblem(value, BODY_BOUNDS);
  if (problem) throw new SpaceportError('invalid_message', `The request body is ${problem}.`);
  return value;
}
