import { z } from 'zod';
import type { Identity } from '../../core/types.ts';
import { CLOSE } from '../../protocol/close-codes.ts';
import { decodeMessage } from '../../protocol/decode.ts';
import type { WsEndpoint } from '../../server/dialect.ts';
import { decodePathPart } from '../../server/http-io.ts';
import type { ServerContext } from '../../server/server-context.ts';
import { Attachments } from '../../server/ws/attachments.ts';
import { NO_UPLOAD, handleInbound } from '../../server/ws/inbound.ts';
import { Peer } from '../../server/ws/peer.ts';
import { JobFollower, parsed } from '../../server/job-follower.ts';
import { decodeBase64, imageMime } from '../media-types.ts';
import { imagePath } from './session-view.ts';
import type { Connection } from '../../wire/connection.ts';

const ReconstructMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('image'), data: z.string().min(1), filename: z.string().max(255).optional() }),
  z.object({ type: z.literal('generate'), incremental: z.boolean().optional() }),
  z.object({ type: z.literal('finalize') }),
]);
const RECONSTRUCT_TYPES: ReadonlySet<string> = new Set(['image', 'generate', 'finalize']);

const PATH = /^\/ws\/reconstruct\/([^/]+)$/;

/**
 * The reconstruction dialect (shared/seeds/004) at /ws/reconstruct/{session_id}: `image` adds to
 * the session (ack with `image_path`), `generate` seals its images into a job of the 3D space
 * (`progress` 0–1, then `complete`, or `delta` when incremental, with `glb_base64` and
 * `metadata`), `finalize` closes it. Errors are `{type:"error", message}`.
 */
export function reconstructEndpoint(ctx: ServerContext): WsEndpoint {
  return {
    path: PATH,
    maxPayload: 16 * 1024 * 1024, // a 10 MB image in base64, plus room
    authenticate: async (req, url) => {
      decodePathPart(PATH.exec(url.pathname)![1]!); // a malformed session id is refused before the upgrade
      return ctx.auth.identifyBrowser(req, url, ctx.config.allowedOrigins, true);
    },
    accept: (connection, _req, url, who) => acceptReconstruct(ctx, connection, decodePathPart(PATH.exec(url.pathname)![1]!), who!),
  };
}

function acceptReconstruct(ctx: ServerContext, connection: Connection, sessionId: string, who: Identity): void {
  const peer = new Peer(connection, 'reconstruct', 'client', ctx.config.limits, ctx.metrics);
  ctx.peers.add(peer);
  const sessions = ctx.core.sessions;
  const error = (message: string) => {
    ctx.metrics.wsErrors.inc({ type: 'reconstruct' });
    peer.sendJson({ type: 'error', message });
  };
  // Messages are handled only after this lookup (handleInbound keeps them in order meanwhile).
  const found = sessions.get(who, sessionId).catch(() => null);

  /** Jobs this socket asked for, and whether each was incremental. */
  const generating = new Map<string, { incremental: boolean }>();
  const follower = new JobFollower(ctx, who, {
    room: () => peer.room(),
    onLine: parsed((jobId, event) => {
      const g = generating.get(jobId);
      if (!g) return;
      switch (event.type) {
        case 'queued':
          return peer.sendJson({ type: 'progress', progress: 0, message: event.position > 0 ? `Waiting (position ${event.position + 1})` : 'Queued' });
        case 'started':
          return peer.sendJson({ type: 'progress', progress: 0.05, message: 'Processing images' });
        case 'progress':
          return peer.sendJson({ type: 'progress', progress: Math.round((0.05 + event.progress * 0.9) * 1000) / 1000, message: event.message ?? 'Processing' });
        case 'result':
          generating.delete(jobId);
          return void deliver(jobId, g.incremental, event).catch((err) => error(`The model could not be read: ${(err as Error).message}`));
        case 'failed':
        case 'cancelled':
        case 'timed_out':
          generating.delete(jobId);
          return error(`Generation failed: ${event.message ?? event.reason ?? event.type}`);
      }
    }),
  });

  async function deliver(jobId: string, incremental: boolean, event: Record<string, any>): Promise<void> {
    const file = (event.files as Array<{ id: string; mime: string }>).find((f) => f.mime === 'model/gltf-binary');
    const blob = file ? await ctx.engine.getBlob(file.id) : null;
    if (!blob) return error('The worker returned no model.');
    peer.sendJson({ type: 'progress', progress: 1, message: 'Done' });
    peer.sendJson({
      type: incremental ? 'delta' : 'complete',
      job_id: jobId,
      glb_base64: blob.bytes.toString('base64'),
      metadata: { ...(event.data as object), glb_size_bytes: blob.bytes.length },
    });
  }

  handleInbound(ctx, peer, new Attachments(1000, 0), {
    decode: (text) => decodeMessage(text, ReconstructMessage, RECONSTRUCT_TYPES),
    expectUploads: () => NO_UPLOAD,
    reportError: (e) => error(e.message),
    async handle(msg) {
      if (!(await found)) return;
      if (msg.type === 'image') {
        const bytes = decodeBase64(msg.data);
        const mime = bytes && imageMime(bytes);
        if (!bytes || !mime) return error('The image is not valid base64 of a PNG, JPEG, WebP, GIF or BMP file.');
        const filename = msg.filename ?? `image_${Date.now()}.${mime.split('/')[1]}`;
        const { image, count } = await sessions.addImage(who, sessionId, { name: filename, mime, bytes });
        return peer.sendJson({ type: 'ack', session_id: sessionId, filename, image_path: imagePath(image.blob), num_images: count });
      }
      if (msg.type === 'generate') {
        const incremental = msg.incremental ?? false;
        await sessions.generate(who, sessionId, incremental).then(async (accepted) => {
          generating.set(accepted.job.id, { incremental });
          await follower.follow(accepted.job.id);
        });
        return;
      }
      const finalized = await sessions.finalize(who, sessionId);
      peer.sendJson({ type: 'finalized', session_id: sessionId, num_images: finalized.images.length, jobs: finalized.job_ids });
    },
  });
  connection.onClose(() => follower.close());

  void found.then((session) => {
    if (!session) {
      error(`Session not found: ${sessionId} (it may have expired; create a new one with POST /ws/session/create)`);
      return peer.close(CLOSE.registrationFailed, 'session_not_found');
    }
    peer.sendJson({
      type: 'connected',
      session_id: sessionId,
      num_images: session.images.length,
      max_images: session.max_images,
      message: 'Connected: send images, then generate',
    });
  });
}
