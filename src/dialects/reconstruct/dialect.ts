import { z } from 'zod';
import { CLOSE } from '../../protocol/close-codes.ts';
import type { JobEventMessage } from '../../protocol/server-messages.ts';
import { defineDialect } from '../../server/define-dialect.ts';
import { decodePathPart } from '../../server/http-io.ts';
import { decodeBase64, imageMime } from '../media-types.ts';
import { reconstructRoutes } from './routes.ts';
import { imagePath } from './session-view.ts';

const ReconstructMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('image'), data: z.string().min(1), filename: z.string().max(255).optional() }),
  z.object({ type: z.literal('generate'), incremental: z.boolean().optional() }),
  z.object({ type: z.literal('finalize') }),
]);
type ReconstructMessage = z.infer<typeof ReconstructMessage>;

/** What the gateway sends on /ws/reconstruct/{session_id}. */
type ReconstructReply =
  | { type: 'connected'; session_id: string; num_images: number; max_images: number; message: string }
  | { type: 'ack'; session_id: string; filename: string; image_path: string; num_images: number }
  | { type: 'progress'; progress: number; message: string }
  | { type: 'complete' | 'delta'; job_id: string; glb_base64: string; metadata: Record<string, unknown> }
  | { type: 'finalized'; session_id: string; num_images: number; jobs: string[] }
  | { type: 'error'; message: string };

const PATH = /^\/ws\/reconstruct\/([^/]+)$/;
const sessionIdOf = (url: URL) => decodePathPart(PATH.exec(url.pathname)![1]!);

/**
 * The reconstruction dialect (shared/seeds/004) at /ws/reconstruct/{session_id}: `image` adds to
 * the session (ack with `image_path`), `generate` seals its images into a job of the 3D space
 * (`progress` 0–1, then `complete`, or `delta` when incremental, with `glb_base64` and
 * `metadata`), `finalize` closes it. Errors are `{type:"error", message}`.
 */
export const reconstruct = defineDialect<ReconstructMessage, ReconstructReply>({
  name: 'reconstruct',
  path: PATH,
  maxPayload: () => 16 * 1024 * 1024, // a 10 MB image in base64, plus room
  authenticate: async (ctx, req, url) => {
    sessionIdOf(url); // a malformed session id is refused before the upgrade
    return ctx.auth.identifyBrowser(req, url, ctx.config.allowedOrigins, true);
  },
  messages: ReconstructMessage,
  routes: reconstructRoutes,
  open(socket) {
    const { ctx } = socket;
    const who = socket.who!;
    const sessionId = sessionIdOf(socket.url);
    const sessions = ctx.core.sessions;
    const error = (message: string) => {
      ctx.metrics.wsErrors.inc({ type: 'reconstruct' });
      socket.reply({ type: 'error', message });
    };
    // Messages are handled only after this lookup (they wait in order meanwhile).
    const found = sessions.get(who, sessionId).catch(() => null);
    void found.then((session) => {
      if (!session) {
        error(`Session not found: ${sessionId} (it may have expired; create a new one with POST /ws/session/create)`);
        return socket.peer.close(CLOSE.registrationFailed, 'session_not_found');
      }
      socket.reply({ type: 'connected', session_id: sessionId, num_images: session.images.length, max_images: session.max_images, message: 'Connected: send images, then generate' });
    });
    /** Jobs this socket asked for, and whether each was incremental. */
    const generating = new Map<string, { incremental: boolean }>();

    async function deliver(jobId: string, incremental: boolean, event: Extract<JobEventMessage, { type: 'result' }>): Promise<void> {
      const file = event.files.find((f) => f.mime === 'model/gltf-binary');
      const blob = file ? await ctx.engine.getBlob(file.id) : null;
      if (!blob) return error('The worker returned no model.');
      socket.reply({ type: 'progress', progress: 1, message: 'Done' });
      socket.reply({
        type: incremental ? 'delta' : 'complete',
        job_id: jobId,
        glb_base64: blob.bytes.toString('base64'),
        metadata: { ...(event.data as object), glb_size_bytes: blob.bytes.length },
      });
    }

    return {
      event(jobId, event) {
        const g = generating.get(jobId);
        if (!g) return;
        switch (event.type) {
          case 'queued':
          case 'position':
            return socket.reply({ type: 'progress', progress: 0, message: event.position > 0 ? `Waiting (position ${event.position + 1})` : 'Queued' });
          case 'started':
            return socket.reply({ type: 'progress', progress: 0.05, message: 'Processing images' });
          case 'progress':
            return socket.reply({ type: 'progress', progress: Math.round((0.05 + event.progress * 0.9) * 1000) / 1000, message: event.message ?? 'Processing' });
          case 'result':
            generating.delete(jobId);
            return void deliver(jobId, g.incremental, event).catch((err) => error(`The model could not be read: ${(err as Error).message}`));
          case 'failed':
          case 'timed_out':
            generating.delete(jobId);
            return error(`Generation failed: ${event.message}`);
          case 'cancelled':
            generating.delete(jobId);
            return error(`Generation failed: ${event.reason}`);
        }
      },
      error: (e) => error(e.message),
      async message(msg) {
        if (!(await found)) return;
        if (msg.type === 'image') {
          const bytes = decodeBase64(msg.data);
          const mime = bytes && imageMime(bytes);
          if (!bytes || !mime) return error('The image is not valid base64 of a PNG, JPEG, WebP, GIF or BMP file.');
          const filename = msg.filename ?? `image_${Date.now()}.${mime.split('/')[1]}`;
          const { image, count } = await sessions.addImage(who, sessionId, { name: filename, mime, bytes });
          return socket.reply({ type: 'ack', session_id: sessionId, filename, image_path: imagePath(image.blob), num_images: count });
        }
        if (msg.type === 'generate') {
          const incremental = msg.incremental ?? false;
          const accepted = await sessions.generate(who, sessionId, incremental);
          generating.set(accepted.job.id, { incremental });
          await socket.jobs.follow(accepted.job.id);
          return;
        }
        const finalized = await sessions.finalize(who, sessionId);
        socket.reply({ type: 'finalized', session_id: sessionId, num_images: finalized.images.length, jobs: finalized.job_ids });
      },
    };
  },
});
