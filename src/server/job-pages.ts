import type { JobFilter } from '../core/ports/jobs.ts';
import { JOB_STATES } from '../core/job-state.ts';
import type { Job, JobState } from '../core/types.ts';
import { SpaceportError } from '../protocol/errors.ts';
import type { RequestContext } from './http-router.ts';
import type { ServerContext } from './server-context.ts';

const MAX_PAGE = 1000;

/**
 * A page of a job listing from its query — `space`, `state`, `limit`, and `before` (the `next` of
 * the page before) — newest first. `next` is the cursor of the following page, null on the last.
 */
export async function jobPage(rc: RequestContext, ctx: ServerContext, defaultLimit: number, scope: Pick<JobFilter, 'ownerId'>): Promise<{ jobs: Job[]; next: string | null }> {
  const q = rc.url.searchParams;
  const state = q.get('state');
  if (state !== null && !(JOB_STATES as readonly string[]).includes(state)) throw new SpaceportError('invalid_message', `state must be one of ${JOB_STATES.join(', ')}.`);
  const limit = Math.min(MAX_PAGE, Math.max(1, Number(q.get('limit') ?? defaultLimit) || defaultLimit));
  const spaceName = q.get('space');
  const space = spaceName ? await ctx.core.jobs.requireSpace(spaceName) : null;
  const before = q.get('before') ?? undefined;
  if (before !== undefined && before.length > 64) throw new SpaceportError('invalid_message', 'before: a job id from the previous page’s next.');
  const jobs = await ctx.engine.listJobs({ ...scope, spaceId: space?.id, state: (state ?? undefined) as JobState | undefined, before, limit });
  return { jobs, next: jobs.length === limit ? jobs.at(-1)!.id : null };
}
