import { spaceStatus, spaceStatuses } from '../../core/queue-monitor.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import { sendJson } from '../http-io.ts';
import type { Router } from '../http-router.ts';
import type { ServerContext } from '../server-context.ts';
import { presentationOf } from '../../protocol/space-presentation.ts';

/** Health, metrics and the public list of spaces: no credentials needed. */
export function publicRoutes(router: Router, ctx: ServerContext): void {
  const { engine } = ctx;

  router.on('GET', '/health', async ({ res }) => {
    const [counts, workers] = await Promise.all([engine.countJobs(), engine.listWorkers()]);
    sendJson(res, ctx.shuttingDown || !ctx.ready ? 503 : 200, {
      status: ctx.shuttingDown ? 'shutting_down' : ctx.ready ? 'healthy' : 'starting',
      connections: ctx.peers.size,
      uptime_seconds: Math.floor((Date.now() - ctx.startedAt) / 1000),
      workers: workers.length,
      queued_jobs: counts.queued,
      running_jobs: counts.assigned + counts.running,
      timestamp: new Date().toISOString(),
    });
  });

  router.on('GET', '/metrics', async ({ res }) => {
    const counts = await engine.countJobs();
    for (const [state, n] of Object.entries(counts)) ctx.metrics.jobsByState.set({ state }, n);
    for (const [endpoint, n] of ctx.peers.countsByEndpoint()) ctx.metrics.connections.set({ endpoint }, n);
    ctx.metrics.wsConnections.set(ctx.peers.size);
    await spaceGauges(ctx);
    const text = await ctx.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType });
    res.end(text);
  });

  router.on('GET', '/v1/spaces', async ({ res }) => {
    sendJson(res, 200, { spaces: await spaceStatuses(engine) });
  });

  router.on('GET', '/v1/spaces/:name', async ({ res, params }) => {
    const space = await engine.getSpace(params.name!);
    if (!space) throw new SpaceportError('space_not_found', `No space is named "${params.name}".`);
    // Its status, and how it presents itself: what its results are, its options, examples.
    sendJson(res, 200, { ...spaceStatus(space, await engine.listWorkers(), (await engine.queueState(space.id)).length), ...presentationOf(space) });
  });

  // The last hour of a space's activity, one sample per interval (space-activity.ts), oldest first.
  router.on('GET', '/v1/spaces/:name/activity', async ({ res, params }) => {
    const space = await engine.getSpace(params.name!);
    if (!space) throw new SpaceportError('space_not_found', `No space is named "${params.name}".`);
    sendJson(res, 200, { space: space.name, interval_ms: ctx.activity.intervalMs, samples: ctx.activity.history(space.name) });
  });
}

/** Each space's queue, running jobs, workers and slots, as /v1/spaces tells them (a deleted space's series go). */
async function spaceGauges(ctx: ServerContext): Promise<void> {
  const { metrics } = ctx;
  const statuses = await spaceStatuses(ctx.engine);
  const gauges = [metrics.spaceQueue, metrics.spaceRunning, metrics.spaceWorkers, metrics.spaceSlots, metrics.spaceFreeSlots];
  for (const g of gauges) g.reset();
  for (const status of statuses) {
    const labels = { space: status.space };
    metrics.spaceQueue.set(labels, status.queue_length);
    metrics.spaceRunning.set(labels, status.slots - status.free_slots);
    metrics.spaceWorkers.set(labels, status.workers);
    metrics.spaceSlots.set(labels, status.slots);
    metrics.spaceFreeSlots.set(labels, status.free_slots);
  }
}
