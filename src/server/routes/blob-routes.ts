import { newId } from '../../core/ids.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { budgetKey } from '../../core/budgets.ts';
import { requestedRange } from '../byte-range.ts';
import { sendJson } from '../http-io.ts';
import { receiveToFile } from '../upload-intake.ts';
import type { Router } from '../http-router.ts';
import type { ServerContext } from '../server-context.ts';

/** Binary upload and download without base64. A blob id is unguessable and is the capability to read it. */
export function blobRoutes(router: Router, ctx: ServerContext): void {
  const { engine, config } = ctx;
  const uploadsDir = join(config.dataDir, 'uploads');
  mkdirSync(uploadsDir, { recursive: true });
  removeAbandoned(uploadsDir);

  /**
   * An upload streams to a file in the data directory and is moved into the store from there: at
   * most a chunk of it is ever in memory. It counts against the gateway's bytes in flight while it
   * arrives, and against its caller's budget of stored uploads until a job claims it; one no job
   * claims is deleted after uploadRetentionMs.
   */
  router.on('POST', '/v1/blobs', async (rc) => {
    const who = await rc.who(); // a bad token is refused even though anonymous uploads are allowed
    // A part of a file would be stored as if it were all of it: resumable uploads are /v1/uploads (tus).
    if (rc.req.headers['content-range'] !== undefined) {
      throw new SpaceportError('invalid_message', 'POST /v1/blobs takes a whole file in one request; to send one in parts, or resume one, use /v1/uploads (tus).');
    }
    const limit = config.limits.maxBlobBytes;
    const declared = Number(rc.req.headers['content-length'] ?? Number.NaN);
    if (declared > limit) throw new SpaceportError('input_too_large', `The blob is ${declared} bytes; the limit is ${limit}.`);
    const owner = budgetKey(who);
    const budget = config.budgets.uploadBytes;
    const overBudget = async (size: number) => owner !== null && (await engine.uploadedBytes(owner)) + size > budget;
    if (await overBudget(Number.isFinite(declared) ? declared : 0)) throw storedTooMuch(budget);
    await ctx.bodiesInFlight.during(rc.req, limit, async () => {
      const id = newId('blob');
      const { file, size } = await receiveToFile(rc.req, uploadsDir, id, limit);
      if (await overBudget(size)) {
        await unlink(file).catch(() => {});
        throw storedTooMuch(budget);
      }
      const mime = (rc.req.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim();
      const name = rc.url.searchParams.get('name') ?? 'upload';
      await engine.putUpload({ id, name, mime, size, created_at: Date.now(), job_id: null, owner }, file);
      sendJson(rc.res, 201, { id, name, mime, size, url: `/v1/blobs/${id}` });
    });
  });

  /** A download, whole or a byte range of it (a video player seeks with those). */
  router.on('GET', '/v1/blobs/:id', async (rc) => {
    const blob = await engine.getBlob(rc.params.id!);
    if (!blob) throw new SpaceportError('blob_not_found', `No blob has id "${rc.params.id}".`);
    const size = blob.bytes.length;
    const headers = {
      'content-type': blob.meta.mime,
      'content-disposition': `inline; filename="${blob.meta.name.replace(/["\\\r\n]/g, '_')}"`,
      'cache-control': 'private, max-age=3600',
      'accept-ranges': 'bytes',
    };
    const range = requestedRange(rc.req.headers.range, size);
    if (range === 'unsatisfiable') {
      rc.res.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': 0 });
      return void rc.res.end();
    }
    const body = range ? blob.bytes.subarray(range.start, range.end + 1) : blob.bytes;
    rc.res.writeHead(range ? 206 : 200, { ...headers, 'content-length': body.length, ...(range && { 'content-range': `bytes ${range.start}-${range.end}/${size}` }) });
    rc.res.end(rc.req.method === 'HEAD' ? undefined : body);
  });
}

const storedTooMuch = (budget: number) =>
  new SpaceportError('quota_exceeded', `Your uploads that no job has used yet would pass ${budget} bytes, the most one caller may store; use them in a job, or wait for them to expire.`);

/** Parts of uploads a process that died was receiving (an hour old: no live upload takes that long to arrive). */
function removeAbandoned(dir: string): void {
  const before = Date.now() - 3600_000;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    try {
      if (name.endsWith('.part') && statSync(file).mtimeMs < before) unlinkSync(file);
    } catch {}
  }
}
