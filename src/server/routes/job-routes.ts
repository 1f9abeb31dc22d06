import { isFinalLine, lineSeq, lineType } from '../../protocol/job-events.ts';
import type { Subscriber } from '../../core/subscriber-router.ts';
import { publicJob } from '../../core/types.ts';
import { isIdempotencyKey } from '../../protocol/idempotency-key.ts';
import { readSubmitBody, submitHeaders } from '../http-submit.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import { JobSubmit, parseBody } from '../../protocol/rest-schemas.ts';
import { queueFieldsOf } from '../../protocol/queue-fields.ts';
import { presentedSecretHash } from '../auth.ts';
import { toSubmittedFiles } from '../file-specs.ts';
import { sendJson } from '../http-io.ts';
import type { Handler, RequestContext, Router } from '../http-router.ts';
import { JobFeeds } from '../job-feeds.ts';
import type { ServerContext } from '../server-context.ts';
import { checkJobWebhook } from './webhook-routes.ts';

const SSE_KEEPALIVE_MS = 15_000;

/** Jobs over plain HTTP: submit, read, cancel, and follow with Server-Sent Events. */
export function jobRoutes(router: Router, ctx: ServerContext): void {
  const { core, engine, config } = ctx;

  /**
   * A submit over HTTP. `key`: its idempotency key — the `Idempotency-Key` header, the body's
   * `idempotency_key`, or the path of `PUT /v1/jobs/{key}`. 202 for a new job; 200 (and
   * `Idempotent-Replayed: true`) when the key named one already there.
   */
  const submit = async (rc: RequestContext, pathKey?: string) => {
    const who = await rc.who();
    const body = parseBody(JobSubmit, await readSubmitBody(rc.req, ctx));
    if (body.files?.some((f) => 'binary' in f)) throw new SpaceportError('invalid_message', 'files: binary parts are for WebSocket; over HTTP upload to /v1/blobs and pass { blob }.');
    const headers = submitHeaders(rc.req);
    await checkJobWebhook(ctx, body.space, body.webhook);
    const keys = new Set([pathKey, headers.idempotencyKey, body.idempotency_key].filter((k) => k !== undefined));
    if (keys.size > 1) throw new SpaceportError('invalid_message', 'The idempotency key is given twice, differently (path, Idempotency-Key header, idempotency_key).');
    const accepted = await core.jobs.submit(who, {
      space: body.space,
      prompt: body.prompt,
      options: body.options,
      files: toSubmittedFiles(body.files ?? [], [], config.limits.maxBlobBytes),
      traceparent: headers.traceparent,
      idempotencyKey: [...keys][0],
      ...queueFieldsOf(body),
    });
    const id = accepted.job.id;
    if (accepted.existing) rc.res.setHeader('idempotent-replayed', 'true');
    sendJson(rc.res, accepted.existing ? 200 : 202, {
      job: id,
      space: accepted.job.space,
      state: accepted.job.state,
      position: accepted.position,
      eta_ms: accepted.eta_ms,
      url: `/v1/jobs/${id}`,
      events_url: `/v1/jobs/${id}/events`,
    });
  };
  router.on('POST', '/v1/jobs', (rc) => submit(rc));
  router.on('PUT', '/v1/jobs/:id', (rc) => {
    const key = rc.params.id!;
    if (!isIdempotencyKey(key)) throw new SpaceportError('invalid_message', 'PUT /v1/jobs/{key}: the key is 1 to 255 visible ASCII characters without spaces.');
    return submit(rc, key);
  });

  router.on('GET', '/v1/jobs/:id', async (rc) => {
    sendJson(rc.res, 200, publicJob(await core.jobs.getVisible(await rc.who(), rc.params.id!)));
  });

  const cancel: Handler = async (rc) => {
    sendJson(rc.res, 200, publicJob(await core.jobs.cancel(await rc.who(), rc.params.id!)));
  };
  router.on('POST', '/v1/jobs/:id/cancel', cancel);
  router.on('POST', '/v1/jobs/:id/retry', async (rc) => {
    const accepted = await core.jobs.retry(await rc.who(), rc.params.id!);
    const id = accepted.job.id;
    sendJson(rc.res, 202, { ...publicJob(accepted.job), position: accepted.position, eta_ms: accepted.eta_ms, url: `/v1/jobs/${id}`, events_url: `/v1/jobs/${id}/events` });
  });
  router.on('DELETE', '/v1/jobs/:id', cancel);

  /**
   * SSE: `id:` is the event's seq, `event:` its type, `data:` the same JSON line the WebSocket
   * sends. Reconnecting with Last-Event-ID (or ?after=N) replays what was missed; the stream ends
   * after the final event.
   */
  router.on('GET', '/v1/jobs/:id/events', async (rc) => {
    const who = await rc.who();
    const jobId = rc.params.id!;
    await core.jobs.getVisible(who, jobId);
    const from = sseId(String(rc.req.headers['last-event-id'] ?? rc.url.searchParams.get('after') ?? '0'));
    const { res } = rc;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(keepalive);
      core.router.unsubscribeJob(jobId, subscriber);
      if (watched) ctx.credentials.forget(stream, watched);
      res.end();
    };
    // A stream opened with a key or a sign-in ends when that credential is revoked, like a socket.
    const stream = { close: end };
    const credential = who.kind === 'anonymous' ? undefined : presentedSecretHash(rc.req, rc.url);
    const watched = credential === undefined ? undefined : ctx.credentials.watch(stream, credential);
    /** The epoch of the lines being sent: ids carry it once it is past 1, so a reconnect resumes exactly. */
    let epoch = 1;
    const feeds = new JobFeeds(
      (_job, line) => {
        if (ended) return;
        const type = lineType(line);
        if (type === 'queued') epoch = (JSON.parse(line) as { epoch?: number }).epoch ?? epoch;
        // A position update is not in the log: no id, so a reconnect resumes after the last event.
        const id = type === 'position' ? '' : `id: ${epoch > 1 ? `${lineSeq(line)}.${epoch}` : lineSeq(line)}\n`;
        res.write(`${id}event: ${type}\ndata: ${line}\n\n`);
        ctx.metrics.messages.countOut('sse');
        // A reader that stops reading must not make us buffer without bound.
        if (res.writableLength > config.limits.maxOutboundBytes) res.destroy();
        else if (isFinalLine(line)) end();
      },
      () => (res.writableLength > config.limits.maxOutboundBytes / 2 && !ended ? new Promise((resolve) => res.once('drain', resolve).once('close', resolve)) : undefined),
    );
    const subscriber: Subscriber = { identity: who, deliverEvent: (id, line) => feeds.onLive(id, line), deliverStatus: () => {} };
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), SSE_KEEPALIVE_MS);
    keepalive.unref();
    rc.req.on('close', end);
    core.router.subscribeJob(jobId, subscriber);
    const range = await feeds.replay(engine, jobId, from.seq, from.epoch, (r) => {
      epoch = r.afterSeq === 0 ? 1 : r.range.epoch;
      // Numbers the reader has that no longer hold: said, then the current attempt from its start.
      if (!r.recovered) res.write(`event: resume\ndata: ${JSON.stringify({ type: 'resume', job: jobId, recovered: false, epoch: r.range.epoch })}\n\n`);
      if (r.gap) {
        res.write(
          `event: error\ndata: ${JSON.stringify({ type: 'error', code: 'resume_gap', job: jobId, after_seq: r.afterSeq, first_seq: r.range.firstSeq, message: 'Some events before the requested seq are no longer kept.' })}\n\n`,
        );
      }
    });
    const position = range && !range.final ? await core.monitor.currentLine(jobId) : null;
    if (position) feeds.onLive(jobId, position);
  });
}

/** An event stream's id, as this stream writes them: `<seq>` in epoch 1, `<seq>.<epoch>` after (anything else: from the start). */
function sseId(id: string): { seq: number; epoch: number } {
  const m = /^(\d{1,15})(?:\.(\d{1,9}))?$/.exec(id.trim());
  return m ? { seq: Number(m[1]), epoch: Number(m[2] ?? 1) } : { seq: 0, epoch: 1 };
}
