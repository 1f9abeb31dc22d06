import { newId } from '../../core/ids.ts';
import { SpaceportError } from '../../protocol/errors.ts';
import type { JobEventMessage } from '../../protocol/server-messages.ts';
import { defineDialect } from '../../server/define-dialect.ts';
import { audioMime, decodeBase64, imageMime } from '../media-types.ts';
import { LipSyncMessage, LipSyncOptions, MAX_AUDIO_BYTES, MAX_IMAGE_BYTES, type LipSyncErrorType } from './messages.ts';
import { lipSyncRoutes } from './routes.ts';

export const LIP_SYNC_PATH = '/ws/lip-sync';
/** What the result says was used when the worker does not name it (the built-in one does). */
const MODEL_UNNAMED = 'the worker of the audio+image→video space (it did not name its model)';

const unixSeconds = () => Math.floor(Date.now() / 1000);

/**
 * The lip-sync dialect (shared/seeds/003) at /ws/lip-sync: a `connection` greeting, `process` with
 * base64 audio and image → `progress` (0–100) → `result` with base64 MP4, `cancel`, `ping`, and
 * typed errors. One task per client. The work is a job of the configured audio+image→video space
 * — the built-in one opens the portrait's mouth with the audio's loudness (workers/lip-sync).
 */
export const lipSync = defineDialect<LipSyncMessage, Record<string, unknown> & { type: string }>({
  name: 'lip-sync',
  path: LIP_SYNC_PATH,
  // Base64 of the largest audio and image the document allows, plus the JSON around them.
  maxPayload: () => Math.ceil(((MAX_AUDIO_BYTES + MAX_IMAGE_BYTES) * 4) / 3) + 64 * 1024,
  messages: LipSyncMessage,
  routes: lipSyncRoutes,
  open(socket) {
    const { ctx } = socket;
    const who = socket.who!;
    const clientId = newId('client');
    let active: { jobId: string; started: number; cancelling: boolean } | null = null;

    const error = (type: LipSyncErrorType, message: string) => {
      ctx.metrics.wsErrors.inc({ type });
      socket.reply({ type: 'error', error_type: type, message, timestamp: unixSeconds() });
    };
    const progress = (value: number, message: string) => socket.reply({ type: 'progress', progress: Math.round(value * 10) / 10, message, timestamp: unixSeconds() });

    async function deliver(jobId: string, event: Extract<JobEventMessage, { type: 'result' }>): Promise<void> {
      const started = active?.started ?? Date.now();
      active = null;
      const file = event.files.find((f) => f.mime === 'video/mp4');
      const blob = file ? await ctx.engine.getBlob(file.id) : null;
      if (!blob) return error('processing_error', 'The worker returned no video.');
      const data = (event.data ?? {}) as Record<string, unknown>;
      progress(100, 'Done');
      socket.reply({
        type: 'result',
        job_id: jobId,
        video_base64: blob.bytes.toString('base64'),
        video_size: blob.bytes.length,
        processing_time: Math.round((Date.now() - started) / 100) / 10,
        model_used: typeof data.model_used === 'string' ? data.model_used : MODEL_UNNAMED,
        inference_fps: data.encoding_fps ?? null,
        frames_processed: data.frames_processed ?? null,
        timestamp: unixSeconds(),
      });
    }

    async function process(msg: Record<string, unknown>): Promise<void> {
      if (active) return error('task_running', 'Another task is already running on this connection; wait for its result or cancel it.');
      // The document's general envelope puts fields under `data`; its examples put them at the top.
      const fields = (typeof msg.data === 'object' && msg.data !== null ? msg.data : msg) as Record<string, unknown>;
      const missing = ['audio_base64', 'image_base64'].filter((k) => typeof fields[k] !== 'string' || !fields[k]);
      if (missing.length) return error('validation_error', `Missing required fields: ${missing.join(', ')}`);
      const options = LipSyncOptions.safeParse(fields.options ?? {});
      if (!options.success) {
        const issue = options.error.issues[0]!;
        return error('validation_error', `options.${issue.path.join('.') || '?'}: ${issue.message}`);
      }
      const audio = decodeBase64(fields.audio_base64 as string);
      const image = decodeBase64(fields.image_base64 as string);
      if (!audio || !image) return error('validation_error', `${!audio ? 'audio_base64' : 'image_base64'} is not valid base64`);
      if (audio.length > MAX_AUDIO_BYTES) return error('validation_error', `Audio is ${audio.length} bytes; the limit is 50MB`);
      if (image.length > MAX_IMAGE_BYTES) return error('validation_error', `Image is ${image.length} bytes; the limit is 10MB`);
      const aMime = audioMime(audio);
      const iMime = imageMime(image);
      if (!aMime) return error('validation_error', 'The audio is not a format we recognise (WAV, MP3, M4A, OGG or FLAC)');
      if (!iMime) return error('validation_error', 'The image is not a format we recognise (JPEG, PNG, WebP, GIF or BMP)');
      active = { jobId: '', started: Date.now(), cancelling: false };
      const slot = active;
      try {
        await socket.jobs.submit(
          who,
          {
            space: ctx.config.dialects.lipSyncSpace,
            options: { ...options.data, client_id: clientId },
            files: [
              { name: `audio.${options.data.audio_format ?? aMime.split('/')[1]}`, mime: aMime, input: 'audio', bytes: audio },
              { name: `image.${options.data.image_format ?? iMime.split('/')[1]}`, mime: iMime, input: 'image', bytes: image },
            ],
          },
          (jobId) => (slot.jobId = jobId),
        );
      } catch (err) {
        active = null;
        const e = err instanceof SpaceportError ? err : new SpaceportError('internal_error');
        error(e.code === 'internal_error' ? 'internal_error' : e.status >= 500 ? 'processing_error' : 'validation_error', e.message);
      }
    }

    socket.reply({
      type: 'connection',
      status: 'connected',
      client_id: clientId,
      message: 'Connected to the Spaceport lip-sync API (audio + portrait → MP4 of the portrait speaking)',
    });

    return {
      event(jobId, event) {
        if (!active || active.jobId !== jobId) return;
        switch (event.type) {
          case 'queued':
          case 'position':
            return progress(0, event.position > 0 ? `Waiting in the queue (position ${event.position + 1})` : 'Queued');
          case 'started':
            return progress(5, 'Processing started');
          case 'progress':
            return progress(5 + event.progress * 90, event.message ?? 'Processing');
          case 'result':
            return void deliver(jobId, event).catch((err) => error('internal_error', `The result could not be read: ${(err as Error).message}`));
          case 'cancelled':
            active = null;
            return socket.reply({ type: 'cancelled', message: 'Processing cancelled' });
          case 'failed':
          case 'timed_out': {
            active = null;
            const text = event.message;
            const typed = /^(validation_error|processing_error): (.*)$/s.exec(text);
            return typed ? error(typed[1] as LipSyncErrorType, typed[2]!) : error('processing_error', text);
          }
        }
      },
      error: (e) => error(e.code === 'invalid_json' ? 'json_error' : e.code === 'internal_error' ? 'internal_error' : 'validation_error', e.message),
      async message(msg) {
        if (msg.type === 'ping') return socket.reply({ type: 'pong', timestamp: unixSeconds() });
        if (msg.type === 'process') return process(msg);
        if (!active?.jobId) return socket.reply({ type: 'info', message: 'No active processing to cancel' });
        if (!active.cancelling) {
          active.cancelling = true;
          await ctx.core.jobs.cancel(who, active.jobId);
        }
      },
      closed() {
        // Nobody is left to receive the video: stop the work.
        if (active?.jobId) void ctx.core.jobs.cancel(who, active.jobId).catch(() => {});
      },
    };
  },
});
