import { newId } from '../../core/ids.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import { readBody, sendJson } from '../http-io.ts';
import type { Router } from '../http-router.ts';
import type { ServerContext } from '../server-context.ts';

/** Binary upload and download without base64. A blob id is unguessable and is the capability to read it. */
export function blobRoutes(router: Router, ctx: ServerContext): void {
  const { engine, config } = ctx;

  router.on('POST', '/v1/blobs', async (rc) => {
    await rc.who(); // a bad token is refused even though anonymous uploads are allowed
    const bytes = await readBody(rc.req, config.limits.maxBlobBytes).catch((err: SpaceportError) => {
      throw err.code === 'message_too_large' ? new SpaceportError('input_too_large', `The blob is larger than ${config.limits.maxBlobBytes} bytes.`) : err;
    });
    const mime = (rc.req.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim();
    const name = rc.url.searchParams.get('name') ?? 'upload';
    const id = newId('blob');
    await engine.putBlob({ id, name, mime, size: bytes.length, created_at: Date.now(), job_id: null }, bytes);
    sendJson(rc.res, 201, { id, name, mime, size: bytes.length, url: `/v1/blobs/${id}` });
  });

  router.on('GET', '/v1/blobs/:id', async (rc) => {
    const blob = await engine.getBlob(rc.params.id!);
    if (!blob) throw new SpaceportError('blob_not_found', `No blob has id "${rc.params.id}".`);
    rc.res.writeHead(200, {
      'content-type': blob.meta.mime,
      'content-length': blob.bytes.length,
      'content-disposition': `inline; filename="${blob.meta.name.replace(/["\\\r\n]/g, '_')}"`,
      'cache-control': 'private, max-age=3600',
    });
    rc.res.end(rc.req.method === 'HEAD' ? undefined : blob.bytes);
  });
}
