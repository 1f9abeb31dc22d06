import { newSecret } from '../../core/ids.ts';
import type { Job } from '../../core/types.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import { sendJson } from '../http-io.ts';
import type { Router } from '../http-router.ts';
import { requireAdmin } from './admin-routes.ts';
import type { ServerContext } from '../server-context.ts';

/** A submit's own webhook, checked before the job is made: where it goes, and that its space can sign. */
export async function checkJobWebhook(ctx: ServerContext, spaceName: string, webhook: Job['webhook']): Promise<void> {
  if (!webhook) return;
  await ctx.destinations.check(webhook.url);
  const space = await ctx.engine.getSpace(spaceName);
  if (space && !space.webhook_secret)
    throw new SpaceportError('webhook_not_allowed', `Space "${spaceName}" has no webhook signing secret yet; an admin makes one with POST /v1/admin/spaces/${spaceName}/webhook-secret.`);
}

/**
 * The admin's view of webhooks (docs/webhooks.md): the deliveries, newest first, with their
 * attempts and last answers; and a new signing secret for a space.
 */
export function webhookRoutes(router: Router, ctx: ServerContext): void {
  router.on('GET', '/v1/admin/webhooks/deliveries', async (rc) => {
    await requireAdmin(rc);
    const name = rc.url.searchParams.get('space');
    const space = name === null ? null : await ctx.engine.getSpace(name);
    if (name !== null && !space) throw new SpaceportError('space_not_found', `No space is named "${name}".`);
    const limit = Math.min(500, Math.max(1, Number(rc.url.searchParams.get('limit') ?? 100) || 100));
    const deliveries = await ctx.engine.listDeliveries(limit, space?.id);
    sendJson(rc.res, 200, {
      deliveries: deliveries.map(({ body: _body, ...d }) => ({
        ...d,
        next_at: d.state === 'pending' ? new Date(d.next_at).toISOString() : null,
        created_at: new Date(d.created_at).toISOString(),
        settled_at: d.settled_at ? new Date(d.settled_at).toISOString() : null,
      })),
    });
  });
  router.on('POST', '/v1/admin/spaces/:name/webhook-secret', async (rc) => {
    await requireAdmin(rc);
    const space = await ctx.engine.getSpace(rc.params.name!);
    if (!space) throw new SpaceportError('space_not_found', `No space is named "${rc.params.name}".`);
    const updated = { ...space, webhook_secret: newSecret('whsec'), updated_at: Date.now() };
    await ctx.engine.updateSpace(updated);
    sendJson(rc.res, 200, { webhook_secret: updated.webhook_secret });
  });
}
