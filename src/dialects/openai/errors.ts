import type { ServerResponse } from 'node:http';
import type { SpaceportError } from '../../protocol/errors.ts';
import { retryAfterSeconds } from '../../server/http-io.ts';

/** OpenAI's error `type` for an HTTP status, as its clients expect them. */
function typeOf(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** Our codes where OpenAI's clients know another (a model is a space here). */
const OPENAI_CODES: Record<string, string> = { space_not_found: 'model_not_found', unauthorized: 'invalid_api_key' };

/** An error's body in OpenAI's shape: `{ error: { message, type, param, code } }`; 400 for what we answer 422 or 415. */
export function openAiErrorBody(e: SpaceportError): { status: number; body: { error: { message: string; type: string; param: string | null; code: string } } } {
  const status = e.code === 'queue_full' ? 429 : e.status === 422 || e.status === 415 ? 400 : e.status;
  return { status, body: { error: { message: e.message, type: typeOf(status), param: e.code === 'space_not_found' ? 'model' : null, code: OPENAI_CODES[e.code] ?? e.code } } };
}

export function openAiError(res: ServerResponse, e: SpaceportError): void {
  const { status, body } = openAiErrorBody(e);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  // Refusals a client may retry later (queue full, budgets, rates) say when: as the refusal says, else in a second.
  if (status === 429 || status === 503) headers['retry-after'] = String(retryAfterSeconds(e) ?? 1);
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}
