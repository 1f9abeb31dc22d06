import { spaceStatus } from '../../core/queue-monitor.ts';
import { sendJson } from '../../server/http-io.ts';
import type { Router } from '../../server/http-router.ts';
import type { ServerContext } from '../../server/server-context.ts';

/** `GET /v1/plugins`: the frames dialect's plugins, which are the spaces that take images. */
export function framesRoutes(router: Router, ctx: ServerContext): void {
  router.on('GET', '/v1/plugins', async ({ res }) => {
    const [spaces, workers] = await Promise.all([ctx.engine.listSpaces(), ctx.engine.listWorkers()]);
    const plugins = [];
    for (const space of spaces) {
      if (!space.inputs.image) continue;
      const status = spaceStatus(space, workers, (await ctx.engine.queuedJobIds(space.id)).length);
      plugins.push({
        name: space.name,
        description: space.description,
        available: status.connected,
        workers: status.workers,
        queue_length: status.queue_length,
      });
    }
    sendJson(res, 200, { plugins });
  });
}
