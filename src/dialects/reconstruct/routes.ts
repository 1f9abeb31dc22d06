import { SpaceportError } from '../../protocol/errors.ts';
import { sendHtml, sendJson } from '../../server/http-io.ts';
import type { RequestContext, Router } from '../../server/http-router.ts';
import type { ServerContext } from '../../server/server-context.ts';
import { RECONSTRUCT_DASHBOARD } from './dashboard.ts';
import { sessionView } from './session-view.ts';

/** Reads an integer query parameter within bounds, or the default; anything else is invalid_message. */
function intParam(rc: RequestContext, name: string, fallback: number, min: number, max: number): number {
  const raw = rc.url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new SpaceportError('invalid_message', `${name} must be an integer from ${min} to ${max}.`);
  return n;
}

/**
 * The reconstruction document's REST side: sessions under /ws/session…, /ws/sessions, and the
 * /dashboard page. Sessions are the core's; this only speaks the document's shapes.
 */
export function reconstructRoutes(router: Router, ctx: ServerContext): void {
  const sessions = ctx.core.sessions;
  router.on('POST', '/ws/session/create', async (rc) => {
    const who = await rc.who();
    const session = await sessions.create(who, {
      space: ctx.config.dialects.reconstructSpace,
      maxImages: intParam(rc, 'max_images', 100, 1, 1000),
      options: { process_res: intParam(rc, 'process_res', 504, 16, 2048), num_max_points: intParam(rc, 'num_max_points', 200_000, 100, 5_000_000) },
      // Ours: the document's hour is the default, not a law.
      ttlMs: intParam(rc, 'ttl_seconds', 3600, 1, 7 * 24 * 3600) * 1000,
    });
    sendJson(rc.res, 200, sessionView(session, false));
  });
  router.on('GET', '/ws/session/:id', async (rc) => sendJson(rc.res, 200, sessionView(await sessions.get(await rc.who(), rc.params.id!))));
  router.on('DELETE', '/ws/session/:id', async (rc) => {
    await sessions.delete(await rc.who(), rc.params.id!);
    sendJson(rc.res, 200, { session_id: rc.params.id, deleted: true });
  });
  router.on('GET', '/ws/sessions', async (rc) => {
    const list = await sessions.list(await rc.who());
    sendJson(rc.res, 200, { sessions: list.map((s) => sessionView(s, false)), count: list.length });
  });
  router.on('GET', '/dashboard', ({ res }) => sendHtml(res, RECONSTRUCT_DASHBOARD));
}
