import { sendHtml, sendJson } from '../../server/http-io.ts';
import type { Router } from '../../server/http-router.ts';
import type { ServerContext } from '../../server/server-context.ts';
import { LIP_SYNC_TEST_PAGE } from './test-page.ts';

/** The lip-sync document's HTTP side: `GET /ws/health` and the browser test page. */
export function lipSyncRoutes(router: Router, ctx: ServerContext): void {
  router.on('GET', '/ws/health', async ({ res }) => {
    const space = await ctx.engine.getSpace(ctx.config.dialects.lipSyncSpace);
    const [workers, assigned, running] = space
      ? await Promise.all([
          ctx.engine.listWorkers(),
          ctx.engine.listJobs({ spaceId: space.id, state: 'assigned', limit: 10_000 }),
          ctx.engine.listJobs({ spaceId: space.id, state: 'running', limit: 10_000 }),
        ])
      : [[], [], []];
    sendJson(res, ctx.shuttingDown ? 503 : 200, {
      status: ctx.shuttingDown ? 'shutting_down' : 'healthy',
      active_connections: ctx.peers.count('lip-sync'),
      processing_tasks: assigned.length + running.length,
      // "Initialized" here means: the space exists and a worker is there to do the work.
      services_initialized: !!space && workers.some((w) => w.space_ids.includes(space.id)),
    });
  });
  router.on('GET', '/websocket-test', ({ res }) => sendHtml(res, LIP_SYNC_TEST_PAGE));
}
