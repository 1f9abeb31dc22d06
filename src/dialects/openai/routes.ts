import type { ServerResponse } from 'node:http';
import { maySubmit } from '../../core/space-rules.ts';
import { publicJob, type Identity } from '../../core/types.ts';
import { asSpaceportError } from '../../protocol/errors.ts';
import { parseBody } from '../../protocol/rest-schemas.ts';
import { sendJson } from '../../server/http-io.ts';
import { readSubmitBody, submitHeaders } from '../../server/http-submit.ts';
import type { RequestContext, Router } from '../../server/http-router.ts';
import { JobFollower, parsed } from '../../server/job-follower.ts';
import type { ServerContext } from '../../server/server-context.ts';
import { openAiError } from './errors.ts';
import { ChatCompletionRequest, CompletionRequest, textOf } from './requests.ts';
import { Reply, type Kind } from './reply.ts';

/**
 * OpenAI's HTTP API on the gateway (docs/openai.md): each space that takes a prompt is a model;
 * a completion is a job of it, its tokens streamed back as OpenAI's chunks. The response id is
 * the job id. The worker gets the request as it came in `options.openai`.
 */
export function openAiRoutes(router: Router, ctx: ServerContext): void {
  router.on('GET', '/v1/models', (rc) =>
    guarded(rc.res, async () => {
      const who = await rc.who();
      const spaces = (await ctx.engine.listSpaces()).filter((s) => s.inputs.prompt && maySubmit(s, who));
      sendJson(rc.res, 200, {
        object: 'list',
        data: spaces.map((s) => ({ id: s.name, object: 'model', created: Math.floor(s.created_at / 1000), owned_by: 'spaceport' })),
      });
    }),
  );
  router.on('POST', '/v1/chat/completions', (rc) =>
    guarded(rc.res, async () => {
      const body = parseBody(ChatCompletionRequest, await readSubmitBody(rc.req, ctx));
      const lastUser = body.messages.findLast((m) => m.role === 'user');
      await complete(rc, ctx, 'chat', body, textOf(lastUser?.content));
    }),
  );
  // The job's own cancel, under the completion's id (which is the job id).
  router.on('POST', '/v1/chat/completions/:id/cancel', (rc) => guarded(rc.res, async () => sendJson(rc.res, 200, publicJob(await ctx.core.jobs.cancel(await rc.who(), rc.params.id!)))));
  router.on('POST', '/v1/completions', (rc) =>
    guarded(rc.res, async () => {
      const body = parseBody(CompletionRequest, await readSubmitBody(rc.req, ctx));
      await complete(rc, ctx, 'text', body, typeof body.prompt === 'string' ? body.prompt : body.prompt[0]!);
    }),
  );
}

/** Errors before a stream began, in OpenAI's shape rather than ours. */
async function guarded(res: ServerResponse, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (res.headersSent) return void res.end();
    const e = asSpaceportError(err);
    openAiError(res, e);
  }
}

async function complete(
  rc: RequestContext,
  ctx: ServerContext,
  kind: Kind,
  body: { model: string; stream?: boolean | undefined; stream_options?: { include_usage?: boolean | undefined } | null | undefined },
  prompt: string,
): Promise<void> {
  const who: Identity = await rc.who();
  const space = await ctx.core.jobs.requireSpace(body.model);
  const { idempotencyKey: key, traceparent } = submitHeaders(rc.req);
  const reply = new Reply(rc.res, kind, body.model, body.stream === true, body.stream_options?.include_usage === true);
  const follower = new JobFollower(ctx, who, { onLine: parsed((_, event) => reply.event(event)) });
  let jobId: string | undefined;
  // A client that goes away before the end no longer wants the answer: its job is cancelled —
  // unless it sent an Idempotency-Key, saying it will come back for it (the same request again).
  rc.res.on('close', () => {
    follower.close();
    if (jobId && !reply.ended && key === undefined) ctx.core.jobs.cancel(who, jobId).catch(() => {});
  });
  await follower.submit(
    who,
    {
      space: space.name,
      prompt,
      options: { openai: body },
      files: [],
      idempotencyKey: key,
      traceparent,
    },
    (id) => {
      jobId = id;
      reply.begin(id);
    },
  );
}
