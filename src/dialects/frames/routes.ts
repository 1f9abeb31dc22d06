import { spaceStatuses } from '../../core/queue-monitor.ts';
import { sendJson } from '../../server/http-io.ts';
import type { Router } from '../../server/http-router.ts';
import type { ServerContext } from '../../server/server-context.ts';

/** `GET /v1/plugins`: the frames dialect's plugins, which are the spaces that take images. */
export function framesRoutes(router: Router, ctx: ServerContext): void {
  router.on('GET', '/v1/plugins', async ({ res }) => {
    const imageSpaces = await spaceStatuses(ctx.engine, (space) => Boolean(space.inputs.image));
    const plugins = imageSpaces.map((status) => ({
      name: status.space,
      description: status.description,
      available: status.connected,
      workers: status.workers,
      queue_length: status.queue_length,
    }));
    sendJson(res, 200, { plugins });
  });
}
