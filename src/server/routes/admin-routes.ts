import type { Space } from '../../core/types.ts';
import { publicJob } from '../../core/types.ts';
import { jobPage } from '../job-pages.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import { ApiKeyCreate, ApiKeyUpdate, CredentialCreate, SpaceCreate, SpaceUpdate, parseBody } from '../../protocol/rest-schemas.ts';
import type { CredentialRecord } from '../../core/ports/records.ts';
import { announceRevocation } from '../credential-watch.ts';
import { issueCredential, publicCredential } from '../credentials.ts';
import { readJson, sendJson } from '../http-io.ts';
import type { RequestContext, Router } from '../http-router.ts';
import type { ServerContext } from '../server-context.ts';
import { newSpace, updatedSpace } from '../space-input.ts';

/** Admins only: the admin token, or a signed-in user with the admin role. */
export async function requireAdmin(rc: RequestContext): Promise<void> {
  const who = await rc.who();
  if (who.kind === 'anonymous') throw new SpaceportError('unauthorized', 'The admin API needs the admin token (or an admin’s sign-in).');
  if (who.kind !== 'admin') throw new SpaceportError('forbidden', 'The admin API needs the admin token (or an admin’s sign-in).');
}

/** The admin REST API under /v1/admin: spaces, worker tokens, API keys, workers, jobs. Admin token required. */
export function adminRoutes(router: Router, ctx: ServerContext): void {
  const { engine, core, config } = ctx;

  const body = (rc: RequestContext) => readJson(rc.req, Math.min(1024 * 1024, config.limits.maxJsonBodyBytes));
  const spaceNamed = async (name: string) => {
    const space = await engine.getSpace(name);
    if (!space) throw new SpaceportError('space_not_found', `No space is named "${name}".`);
    return space;
  };

  /** Revokes one of `records` by id, and closes the sockets opened with it on every instance. */
  const revoke = async (records: CredentialRecord[], id: string, what: string) => {
    const record = records.find((c) => c.id === id);
    if (!record || !(await engine.revokeCredential(id))) throw new SpaceportError('not_found', `No active ${what} has id "${id}".`);
    announceRevocation(ctx, { hashes: [record.hash] });
  };

  /** Every instance learns whether anyone may watch the space's jobs. */
  const spaceChanged = (space: Space) => core.jobs.control({ op: 'space', space: space.id, public: space.visibility === 'public' });

  router.on('GET', '/v1/admin/spaces', async (rc) => {
    await requireAdmin(rc);
    sendJson(rc.res, 200, { spaces: await engine.listSpaces() });
  });
  router.on('POST', '/v1/admin/spaces', async (rc) => {
    await requireAdmin(rc);
    const space = newSpace(parseBody(SpaceCreate, await body(rc)));
    await ctx.destinations.check(space.webhook_url);
    await engine.createSpace(space);
    spaceChanged(space);
    ctx.log.info({ space: space.name }, 'space created');
    sendJson(rc.res, 201, space);
  });
  router.on('GET', '/v1/admin/spaces/:name', async (rc) => {
    await requireAdmin(rc);
    sendJson(rc.res, 200, await spaceNamed(rc.params.name!));
  });
  router.on('PATCH', '/v1/admin/spaces/:name', async (rc) => {
    await requireAdmin(rc);
    const space = updatedSpace(await spaceNamed(rc.params.name!), parseBody(SpaceUpdate, await body(rc)));
    await ctx.destinations.check(space.webhook_url);
    await engine.updateSpace(space);
    spaceChanged(space);
    core.monitor.changed(space.id);
    sendJson(rc.res, 200, space);
  });
  router.on('DELETE', '/v1/admin/spaces/:name', async (rc) => {
    await requireAdmin(rc);
    const space = await spaceNamed(rc.params.name!);
    // Jobs of a deleted space end as cancelled (and their workers are told), so none is left dangling.
    for (const state of ['queued', 'assigned', 'running'] as const) {
      for (const job of await engine.listJobs({ spaceId: space.id, state, limit: 1_000_000 })) {
        await core.jobs.end(job, { type: 'cancelled', reason: `space "${space.name}" was deleted` });
      }
    }
    await engine.deleteSpace(space.id);
    core.jobs.control({ op: 'space', space: space.id });
    sendJson(rc.res, 200, { deleted: space.name });
  });

  router.on('POST', '/v1/admin/spaces/:name/worker-tokens', async (rc) => {
    await requireAdmin(rc);
    const space = await spaceNamed(rc.params.name!);
    const input = parseBody(CredentialCreate, (await body(rc)) ?? {});
    const { secret, record } = await issueCredential(engine, 'worker_token', input.name ?? `${space.name} worker`, { spaceId: space.id });
    sendJson(rc.res, 201, {
      ...publicCredential(record),
      space: space.name,
      token: secret,
      command: `SPACEPORT_TOKEN=${secret} spaceport worker --host <gateway-url> --spaces ${space.name}`,
      // Whole commands that run as printed: where the npm package is installed (or in a checkout), or after `pip install ./python`.
      commands: workerCommands(secret, space.name),
    });
  });
  router.on('GET', '/v1/admin/spaces/:name/worker-tokens', async (rc) => {
    await requireAdmin(rc);
    const space = await spaceNamed(rc.params.name!);
    sendJson(rc.res, 200, { tokens: (await engine.listCredentials('worker_token', space.id)).map(publicCredential) });
  });
  router.on('DELETE', '/v1/admin/spaces/:name/worker-tokens/:id', async (rc) => {
    await requireAdmin(rc);
    const space = await spaceNamed(rc.params.name!);
    await revoke(await engine.listCredentials('worker_token', space.id), rc.params.id!, 'worker token');
    sendJson(rc.res, 200, { revoked: rc.params.id });
  });

  router.on('POST', '/v1/admin/api-keys', async (rc) => {
    await requireAdmin(rc);
    const input = parseBody(ApiKeyCreate, (await body(rc)) ?? {});
    const { secret, record } = await issueCredential(engine, 'api_key', input.name ?? 'api key', { maxPriority: input.max_priority, fairWeight: input.fair_weight });
    sendJson(rc.res, 201, { ...publicCredential(record), key: secret });
  });
  // The highest priority the key's jobs may ask for, and its weight in fair share; null: the default (docs/queue.md).
  router.on('PATCH', '/v1/admin/api-keys/:id', async (rc) => {
    await requireAdmin(rc);
    const input = parseBody(ApiKeyUpdate, (await body(rc)) ?? {});
    const key = (await engine.listCredentials('api_key')).find((c) => c.id === rc.params.id && c.revoked_at === null);
    if (!key) throw new SpaceportError('not_found', `No API key has id "${rc.params.id}".`);
    const updated = { ...key, ...(input.max_priority !== undefined && { max_priority: input.max_priority }), ...(input.fair_weight !== undefined && { fair_weight: input.fair_weight }) };
    await engine.createCredential(updated);
    sendJson(rc.res, 200, publicCredential(updated));
  });
  router.on('GET', '/v1/admin/api-keys', async (rc) => {
    await requireAdmin(rc);
    sendJson(rc.res, 200, { keys: (await engine.listCredentials('api_key')).map(publicCredential) });
  });
  router.on('DELETE', '/v1/admin/api-keys/:id', async (rc) => {
    await requireAdmin(rc);
    await revoke(await engine.listCredentials('api_key'), rc.params.id!, 'API key');
    sendJson(rc.res, 200, { revoked: rc.params.id });
  });

  router.on('GET', '/v1/admin/workers', async (rc) => {
    await requireAdmin(rc);
    sendJson(rc.res, 200, { workers: await engine.listWorkers() });
  });
  // Drain (no new jobs), resume, or disconnect a worker, wherever its instance is.
  for (const action of ['drain', 'undrain', 'disconnect'] as const) {
    router.on('POST', `/v1/admin/workers/:id/${action}`, async (rc) => {
      await requireAdmin(rc);
      const worker = (await engine.listWorkers()).find((w) => w.id === rc.params.id);
      if (!worker) throw new SpaceportError('not_found', `No connected worker has id "${rc.params.id}".`);
      core.jobs.control({ op: 'worker', worker: worker.id, action });
      sendJson(rc.res, 202, { worker: worker.id, action });
    });
  }

  router.on('GET', '/v1/admin/jobs', async (rc) => {
    await requireAdmin(rc);
    const owner = rc.url.searchParams.get('owner');
    const page = await jobPage(rc, ctx, 100, owner ? { ownerId: owner } : {});
    sendJson(rc.res, 200, { jobs: page.jobs.map(publicJob), next: page.next });
  });
}

/** A worker token's commands: a shell command per job, an OpenAI-compatible server (Ollama's address), and Python. */
function workerCommands(secret: string, space: string): Record<'exec' | 'openai' | 'python', string> {
  const base = `SPACEPORT_TOKEN=${secret} npx spaceport worker --host <gateway-url> --spaces ${space}`;
  return {
    exec: `${base} --exec 'cat'`,
    openai: `${base} --openai http://localhost:11434/v1 --model llama3.2`,
    python: `SPACEPORT_TOKEN=${secret} python3 -m spaceport.worker_cli --host <gateway-url> --spaces ${space} --handler spaceport.examples:echo`,
  };
}
