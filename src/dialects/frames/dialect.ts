import { SpaceportError } from '../../protocol/errors.ts';
import { OPTIONS_BOUNDS, jsonBoundsProblem } from '../../protocol/json-bounds.ts';
import type { JobEventMessage } from '../../protocol/server-messages.ts';
import { type DialectHandlers, type DialectSocket, defineDialect } from '../../server/define-dialect.ts';
import { decodePathPart } from '../../server/http-io.ts';
import { decodeBase64, imageMime } from '../media-types.ts';
import { FRAME_ERROR_CODES, FramesMessage, type FrameErrorCode } from './messages.ts';
import { framesRoutes } from './routes.ts';

/** Under this many bytes nothing is an image worth sending to a plugin. */
const MIN_IMAGE_BYTES = 64;

/** Paths under /ws/ that belong to other dialects, not client ids. */
const RESERVED = new Set(['lip-sync', 'health', 'reconstruct', 'session', 'sessions']);

/**
 * The frames dialect (shared/seeds/002) at /ws/{client_id}: `send_frame` runs a plugin (= a space)
 * on an image as a job; the sender gets `job_update`s (pending → processing → completed/failed,
 * with progress_percent) and the `frame_result` or an `error` with the documented `error_code`.
 * `subscribe` adds `job_<id>`, `plugin_<name>` or `all` — limited to jobs the caller may see.
 */
export const frames = defineDialect<FramesMessage, Record<string, unknown> & { type: string }>({
  name: 'frames',
  path: /^\/ws\/[^/]+$/,
  maxPayload: (ctx) => ctx.config.limits.clientMaxMessageBytes,
  authenticate: async (ctx, req, url) => {
    if (RESERVED.has(url.pathname.slice(4))) throw new SpaceportError('not_found');
    decodePathPart(url.pathname.slice(4)); // a malformed client id is refused before the upgrade
    return ctx.auth.identifyBrowser(req, url, ctx.config.allowedOrigins, true);
  },
  messages: FramesMessage,
  idField: 'frame_id',
  routes: framesRoutes,
  open: (socket) => framesConnection(socket, decodePathPart(socket.url.pathname.slice(4))),
});

interface FrameJob {
  frameId: string;
  plugin: string;
  startedAt?: number;
}

function framesConnection(socket: DialectSocket<Record<string, unknown> & { type: string }>, clientId: string): DialectHandlers<FramesMessage> {
  const { ctx } = socket;
  const who = socket.who!;
  const follower = socket.jobs;
  const frames = new Map<string, FrameJob>();
  const now = () => new Date().toISOString();

  const update = (jobId: string, f: FrameJob, status: string, percent: number) =>
    socket.reply({ type: 'job_update', job_id: jobId, status, frame_id: f.frameId, plugin: f.plugin, progress_percent: percent, timestamp: now() });
  const error = (frameId: string | undefined, plugin: string | undefined, code: FrameErrorCode, message: string) => {
    ctx.metrics.wsErrors.inc({ type: code });
    socket.reply({
      type: 'error',
      ...(frameId !== undefined && { frame_id: frameId }),
      ...(plugin !== undefined && { plugin }),
      error_code: code,
      message,
      timestamp: now(),
    });
  };

  /**
   * What a job is, as one promise per job: its own frames are known at once, a job seen through a
   * subscription is looked up (frame id and plugin come from the job). Every event of a job chains
   * on the same promise, so they go out in the order they came.
   */
  const described = new Map<string, Promise<FrameJob | null>>();
  const describe = (jobId: string): Promise<FrameJob | null> => {
    let found = described.get(jobId);
    if (!found) {
      const own = frames.get(jobId);
      found = own ? Promise.resolve(own) : ctx.engine.getJob(jobId).then((job) => (job ? { frameId: String(job.inputs.options?.frame_id ?? jobId), plugin: job.space } : null));
      described.set(jobId, found);
    }
    return found;
  };
  const forget = (jobId: string) => {
    frames.delete(jobId);
    described.delete(jobId);
  };

  const topicJob = async (topic: string): Promise<string | null> => {
    const id = topic.slice(4);
    // Our job ids already start with "job_"; accept the topic with or without the doubled prefix.
    for (const candidate of [id, topic]) if (await ctx.engine.getJob(candidate)) return candidate;
    return null;
  };

  return {
    event(jobId, event) {
      void describe(jobId).then((f) => {
        if (!f) return;
        switch (event.type) {
          case 'queued':
            return update(jobId, f, 'pending', 0);
          case 'started':
            f.startedAt = Date.now();
            return update(jobId, f, 'processing', 0);
          case 'progress':
            return update(jobId, f, 'processing', Math.round(event.progress * 100));
          case 'result':
            socket.reply({
              type: 'frame_result',
              frame_id: f.frameId,
              job_id: jobId,
              plugin: f.plugin,
              status: 'success',
              result: event.data,
              processing_time_ms: f.startedAt ? Date.now() - f.startedAt : 0,
              timestamp: now(),
            });
            update(jobId, f, 'completed', 100);
            return forget(jobId);
          case 'failed':
          case 'timed_out':
          case 'cancelled': {
            const [code, message] = frameError(event);
            error(f.frameId, f.plugin, code, message);
            update(jobId, f, 'failed', 100);
            return forget(jobId);
          }
        }
      });
    },
    error: (e, id) => error(id === undefined ? undefined : String(id), undefined, frameCodeFor(e.code), `${e.code}: ${e.message}`),
    pipelines: (msg) => msg.type === 'send_frame',
    async message(msg, issued) {
      if (msg.type === 'send_frame') {
        const options = msg.options ?? {};
        if (typeof options !== 'object' || options === null || Array.isArray(options)) return error(msg.frame_id, msg.plugin, 'INVALID_OPTIONS', 'options must be a JSON object');
        const problem = jsonBoundsProblem(options, OPTIONS_BOUNDS);
        if (problem) return error(msg.frame_id, msg.plugin, 'INVALID_OPTIONS', `options are ${problem}`);
        const bytes = decodeBase64(msg.image_data);
        if (!bytes) return error(msg.frame_id, msg.plugin, 'INVALID_IMAGE', 'image_data is not valid base64');
        const mime = imageMime(bytes);
        if (bytes.length < MIN_IMAGE_BYTES || !mime)
          return error(
            msg.frame_id,
            msg.plugin,
            'INVALID_IMAGE',
            bytes.length < MIN_IMAGE_BYTES ? `Image too small (${bytes.length} bytes)` : 'Image format not supported or corrupted (PNG, JPEG, WebP, GIF or BMP expected)',
          );
        if (!(await ctx.engine.getSpace(msg.plugin))) return error(msg.frame_id, msg.plugin, 'PLUGIN_NOT_FOUND', `Plugin "${msg.plugin}" does not exist (GET /v1/plugins lists them).`);
        const f: FrameJob = { frameId: msg.frame_id, plugin: msg.plugin };
        try {
          await follower.submit(
            who,
            {
              space: msg.plugin,
              options: { ...(options as Record<string, unknown>), frame_id: msg.frame_id, client_id: clientId },
              files: [{ name: `${msg.frame_id}`, mime, input: 'image', bytes }],
            },
            (jobId) => frames.set(jobId, f),
            issued,
          );
        } catch (err) {
          const e = err instanceof SpaceportError ? err : new SpaceportError('internal_error');
          error(msg.frame_id, msg.plugin, frameCodeFor(e.code), e.message);
        }
        return;
      }
      const subscribe = msg.type === 'subscribe';
      if (msg.topic === 'all') follower.watchAll(subscribe);
      else if (msg.topic.startsWith('plugin_')) {
        const space = await ctx.engine.getSpace(msg.topic.slice(7));
        if (!space) return error(undefined, msg.topic.slice(7), 'PLUGIN_NOT_FOUND', `Plugin "${msg.topic.slice(7)}" does not exist.`);
        if (subscribe) follower.watchSpace(space.id);
        else follower.unwatchSpace(space.id);
      } else if (msg.topic.startsWith('job_')) {
        const jobId = await topicJob(msg.topic);
        if (!subscribe) {
          if (jobId) follower.unfollow(jobId);
        } else if (jobId) {
          const job = await ctx.core.jobs.getVisible(who, jobId).catch(() => null);
          if (job && !follower.following(jobId)) await follower.follow(jobId, 0, undefined, undefined, true);
        }
        // An unknown job topic is kept quietly, as the document allows subscribing before a job exists.
      }
    },
  };
}

/** The documented error code for one of ours refusing a frame before any job ran. */
function frameCodeFor(code: string): FrameErrorCode {
  if (code === 'space_not_found') return 'PLUGIN_NOT_FOUND';
  if (code === 'input_not_accepted' || code === 'input_too_large' || code === 'mime_not_allowed') return 'INVALID_IMAGE';
  if (code === 'invalid_options') return 'INVALID_OPTIONS';
  return 'PLUGIN_ERROR';
}

/** The documented error code for a job that ended without a result. */
function frameError(event: Extract<JobEventMessage, { type: 'failed' | 'timed_out' | 'cancelled' }>): [FrameErrorCode, string] {
  if (event.type === 'timed_out') return ['PROCESSING_TIMEOUT', event.message];
  if (event.type === 'cancelled') return ['PLUGIN_ERROR', `cancelled: ${event.reason}`];
  // Built-in plugins prefix their errors with a documented code ("INVALID_IMAGE: …").
  const match = /^([A-Z_]+): (.*)$/s.exec(event.message);
  if (match && FRAME_ERROR_CODES.has(match[1]!)) return [match[1] as FrameErrorCode, match[2]!];
  return ['PLUGIN_ERROR', event.message || event.code];
}
