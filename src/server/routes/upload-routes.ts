import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { FileStore } from '@tus/file-store';
import { Server as TusServer, type Upload } from '@tus/server';
import { budgetKey } from '../../core/budgets.ts';
import { newId } from '../../core/ids.ts';
import type { Identity } from '../../core/types.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import type { RequestContext, Router } from '../http-router.ts';
import type { ServerContext } from '../server-context.ts';

const PATH = '/v1/uploads';
/** How often, at most, expired unfinished uploads are looked for (on the next upload created). */
const CLEANUP_EVERY_MS = 60_000;

/** Whose an upload is: the caller's budget key, or the admin's. */
const ownerOf = (who: Identity) => budgetKey(who) ?? `admin:${who.id}`;

/**
 * Resumable uploads with the tus protocol (https://tus.io, served by @tus/server): a large input
 * arrives in as many requests as the connection needs, each picking up at the offset the gateway
 * has (HEAD), so a flaky link never starts over. The upload id is a blob id: once the last byte is
 * in, the file moves into the store as an upload of its caller, like POST /v1/blobs — a submit names
 * it as `{ blob: id }`, it counts against the caller's upload budget until a job claims it, and no
 * job claiming it within uploadRetentionMs deletes it. Unfinished uploads live in the data directory
 * and expire after the same time — in `uploadsDir`, which instances behind one load balancer share.
 * Only the caller who created an upload may continue, read or end it. The budget of unfinished
 * uploads is counted by each instance for the uploads created through it.
 */
export function uploadRoutes(router: Router, ctx: ServerContext): void {
  const { engine, config } = ctx;
  const store = new FileStore({ directory: config.uploadsDir ?? join(config.dataDir, 'tus-uploads'), expirationPeriodInMilliseconds: config.core.uploadRetentionMs });
  /** Bytes each owner has declared for uploads not finished yet, by upload id (this instance's). */
  const pending = new Map<string, Map<string, number>>();
  /** The caller of each request being handled, for the hooks (which get a web Request). */
  const owners = new WeakMap<IncomingMessage, string>();
  const ownerOfRequest = (req: Request) => owners.get((req as unknown as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req as IncomingMessage);
  let lastCleanup = 0;

  const tus = new TusServer({
    path: PATH,
    datastore: store,
    relativeLocation: true,
    // The gateway's own origin policy (none set: any origin, as everywhere else).
    ...(config.allowedOrigins.length > 0 && { allowedOrigins: config.allowedOrigins }),
    exposedHeaders: ['Spaceport-Blob'],
    maxSize: config.limits.maxBlobBytes,
    namingFunction: () => newId('blob'),
    async onUploadCreate(req, upload) {
      const owner = ownerOfRequest(req)!;
      const size = upload.size ?? config.limits.maxBlobBytes;
      if (!owner.startsWith('admin:')) {
        const declared = [...(pending.get(owner)?.values() ?? [])].reduce((a, b) => a + b, 0);
        if ((await engine.uploadedBytes(owner)) + declared + size > config.budgets.uploadBytes) {
          throw { status_code: 429, body: `Your unfinished and unused uploads would pass ${config.budgets.uploadBytes} bytes, the most one caller may store.\n` };
        }
      }
      let mine = pending.get(owner);
      if (!mine) pending.set(owner, (mine = new Map()));
      mine.set(upload.id, size);
      if (Date.now() - lastCleanup > CLEANUP_EVERY_MS) {
        lastCleanup = Date.now();
        tus.cleanUpExpiredUploads().catch((err: unknown) => ctx.log.warn({ err }, 'removing expired uploads failed'));
      }
      return { metadata: { ...upload.metadata, spaceport_owner: owner } };
    },
    async onUploadFinish(_req, upload) {
      const owner = upload.metadata?.spaceport_owner ?? null;
      pending.get(owner ?? '')?.delete(upload.id);
      const meta = {
        id: upload.id,
        name: upload.metadata?.filename || 'upload',
        mime: upload.metadata?.filetype || 'application/octet-stream',
        size: upload.offset,
        created_at: Date.now(),
        job_id: null,
        owner: owner?.startsWith('admin:') ? null : owner,
      };
      await engine.putUpload(meta, join(store.directory, upload.id));
      await store.configstore.delete(upload.id);
      return { headers: { 'spaceport-blob': upload.id } };
    },
  });

  const handle = async (rc: RequestContext) => {
    const owner = ownerOf(await rc.who());
    const id = rc.params.id;
    if (id !== undefined && rc.req.method !== 'OPTIONS') {
      // Someone else's upload, or one finished (its id is a blob now): as if there were none.
      const upload: Upload | null = await store.getUpload(id).catch(() => null);
      if (!upload || upload.metadata?.spaceport_owner !== owner) throw new SpaceportError('not_found', `No unfinished upload has id "${id}".`);
    }
    owners.set(rc.req, owner);
    const receive = () => tus.handle(rc.req, rc.res);
    // A PATCH's bytes count against what the gateway receives at once, as any upload's do.
    await (rc.req.method === 'PATCH' ? ctx.bodiesInFlight.during(rc.req, config.limits.maxBlobBytes, receive) : receive());
    if (rc.req.method === 'DELETE' && id !== undefined) pending.get(owner)?.delete(id);
  };
  for (const method of ['POST', 'OPTIONS']) router.on(method, PATH, handle);
  for (const method of ['HEAD', 'PATCH', 'DELETE', 'OPTIONS']) router.on(method, `${PATH}/:id`, handle);
}
