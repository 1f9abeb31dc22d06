import { SpaceportError } from '../protocol/errors.ts';
import type { Identity } from './types.ts';

/**
 * What one identity may hold at once, so no single caller can take a space, the session store or
 * the gateway's sockets from everyone else. An identity is a user, an API key, or — for anonymous
 * callers — their client address (Identity.budget): a script that drops its cookies is still
 * itself. The admin is not budgeted. docs/security.md lists each with its setting.
 */
export interface Budgets {
  /** Unfinished jobs (queued, assigned or running) of one identity in one space. @default 100 */
  jobsPerSpace: number;
  /** Open (unexpired) sessions of one identity. @default 10 */
  sessions: number;
  /** Open WebSocket connections of one user or API key (a service may hold many). @default 1000 */
  connections: number;
  /** Open WebSocket connections of one anonymous client address. @default 64 */
  anonymousConnections: number;
  /** Bytes of uploads (POST /v1/blobs) of one identity that no job has taken yet. @default 1 GiB */
  uploadBytes: number;
  /** Submits of one identity per minute, counted across instances; 0: no limit. @default 0 */
  submitsPerMinute: number;
  /**
   * The highest priority a job of a user, an API key or an anonymous caller may ask for, unless an
   * admin gave its API key a bound of its own (docs/queue.md). The admin's go up to 1000. @default 0
   */
  maxPriority: number;
}

export const DEFAULT_BUDGETS: Budgets = { jobsPerSpace: 100, sessions: 10, connections: 1000, anonymousConnections: 64, uploadBytes: 1024 ** 3, submitsPerMinute: 0, maxPriority: 0 };

/** The key an identity's budgets are counted under, or null for the admin (not budgeted). */
export function budgetKey(who: Identity): string | null {
  if (who.kind === 'admin') return null;
  return who.budget ?? who.id;
}

/** The refusal when a budget is spent: its own code, so callers can tell it from a full queue. */
export function overBudget(what: string, max: number): SpaceportError {
  return new SpaceportError('quota_exceeded', `You already have ${max} ${what}, as many as one caller may; wait for some to finish.`);
}
