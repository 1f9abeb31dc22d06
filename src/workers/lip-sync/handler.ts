import { withScratchDir } from '../scratch-dir.ts';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import sharp from 'sharp';
import type { Handler } from '../../sdk/worker/serve.ts';
import { audioOf, imageOf } from '../job-inputs.ts';
import { findFfmpeg, findOnPath, NO_FFMPEG } from '../programs.ts';
import { drained, runProgram } from '../run-program.ts';
import { decodeSpeech } from '../speech-audio.ts';
import { mouthOpenings } from './audio-envelope.ts';
import { findMouth } from '../face-mesh.ts';
import { MouthWarp } from './mouth-warp.ts';
import { type LipShape, lipShapes } from './visemes.ts';

const FPS = 25;
export const LIP_SYNC_MODEL =
  'landmark-driven mouth warp (Human face mesh on TensorFlow.js WASM; mouth opening from the audio loudness, lip closures and rounding from PocketSphinx phones where installed)';

/**
 * Lip-sync by moving the face in the picture: Human's face mesh finds the mouth and chin once, the
 * audio's loudness gives how open the mouth is in each of 25 frames a second, and each frame's jaw
 * is pulled down that far over the still image (mouth-warp.ts); ffmpeg encodes the frames with the
 * audio (H.264/AAC). Not Wav2Lip: the lips' shapes do not follow the sounds, only their opening does.
 * Options: `resize_factor` (1, 2 or 4) divides the image; `pads` [top, bottom, left, right] —
 * the bottom one moves that many more pixels below the chin with the jaw; `nosmooth` gives each
 * frame its own loudness instead of a jaw's easing. No face → validation_error.
 */
export function lipSyncHandler(): Handler {
  const ffmpeg = findFfmpeg();
  const phones = findOnPath('pocketsphinx_continuous');
  return async (job, ctx) => {
    if (!ffmpeg) throw new Error(NO_FFMPEG);
    const factor = Number(job.options.resize_factor ?? 1);
    if (![1, 2, 4].includes(factor)) throw new Error('validation_error: resize_factor must be 1, 2 or 4');
    const pads = Array.isArray(job.options.pads) ? (job.options.pads as number[]) : [0, 0, 0, 0];
    const started = Date.now();
    ctx.progress(0.01, 'finding the face');
    const source = sharp(await imageOf(job)).rotate();
    const meta = await source.metadata();
    const upright = (meta.orientation ?? 1) >= 5;
    const [w0, h0] = upright ? [meta.height!, meta.width!] : [meta.width!, meta.height!];
    // H.264 wants even dimensions; the factor shrinks the frame (and the work) as documented.
    const width = even(w0 / factor);
    const height = even(h0 / factor);
    const image = await source.resize(width, height, { fit: 'fill' }).removeAlpha().raw().toBuffer();
    const mouth = await findMouth(image, width, height);
    if (!mouth) throw new Error('validation_error: no face was found in the image (a face seen from the front, at least ~100 pixels tall, works best)');
    ctx.progress(0.08, 'listening to the audio');
    return withScratchDir('spaceport-lip-sync-', async (dir) => {
      await writeFile(join(dir, 'audio'), audioOf(job).data);
      const pcm = await decodeSpeech(ffmpeg, 'audio', dir, ctx.signal);
      const { openings, seconds } = mouthOpenings(pcm, FPS, job.options.nosmooth === true);
      // Where pocketsphinx is installed, the phones give the lips' shape: shut on M/B/P, rounded on OW/UW/W.
      let shapes: LipShape[] | null = null;
      if (phones) {
        ctx.progress(0.1, 'finding the phones');
        shapes = await lipShapes(phones, pcm, dir, openings.length, FPS, ctx.signal).catch((err: unknown) => {
          if (ctx.signal.aborted) throw err;
          return null;
        });
      }
      const rounds = shapes ? eased(shapes.map((s) => s.round)) : openings.map(() => 0);
      if (shapes) shapes.forEach((s, i) => s.closed && (openings[i] = 0));
      const warp = new MouthWarp(image, width, height, mouth, Math.max(0, Number(pads[1] ?? 0)) / factor);
      ctx.progress(0.12, 'moving the mouth');
      await encode(ffmpeg, dir, width, height, seconds, openings, rounds, warp, ctx.signal, (done) =>
        ctx.progress(0.12 + 0.86 * done, done < 1 ? `frame ${Math.round(done * openings.length)} of ${openings.length}` : 'encoding'),
      );
      const video = await readFile(join(dir, 'out.mp4'));
      const took = (Date.now() - started) / 1000;
      ctx.attach('video.mp4', 'video/mp4', video);
      return {
        model_used: LIP_SYNC_MODEL,
        method: LIP_SYNC_MODEL,
        width,
        height,
        fps: FPS,
        frames_processed: openings.length,
        duration_seconds: Math.round(seconds * 1000) / 1000,
        encoding_fps: Math.round((openings.length / Math.max(took, 0.001)) * 10) / 10,
        processing_time: Math.round(took * 1000) / 1000,
        video_size: video.length,
        face: { box: mouth.box.map(Math.round), score: Math.round(mouth.score * 100) / 100 },
        mouth_open_frames: openings.filter((o) => o > 0.05).length,
        visemes: shapes ? 'PocketSphinx all-phone decoding: lips shut on M/B/P, rounded on OW/UW/W/UH/OY/AO' : 'none (pocketsphinx is not installed: the mouth follows the loudness alone)',
        ...(shapes && { closed_frames: shapes.filter((s) => s.closed).length, rounded_frames: shapes.filter((s) => s.round > 0).length }),
      };
    });
  };
}

/** Renders every frame into ffmpeg's stdin (raw RGB) while it encodes them with the audio. */
async function encode(
  ffmpeg: string,
  dir: string,
  width: number,
  height: number,
  seconds: number,
  openings: number[],
  rounds: number[],
  warp: MouthWarp,
  signal: AbortSignal,
  progress: (done: number) => void,
): Promise<void> {
  const args = ['-y', '-hide_banner', '-nostats', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(FPS), '-i', 'pipe:0', '-i', 'audio'];
  args.push('-t', seconds.toFixed(3), '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', 'out.mp4');
  const frames = async (stdin: Writable) => {
    const frame = Buffer.allocUnsafe(width * height * 3);
    const every = Math.max(1, Math.round(openings.length / 20));
    for (let i = 0; i < openings.length && !signal.aborted; i++) {
      warp.frame(openings[i]!, frame, rounds[i]);
      // A copy per write: the frame buffer is reused, and a write may still be queued.
      if (!stdin.write(Buffer.from(frame))) await drained(stdin);
      if (i % every === 0) progress(i / openings.length);
    }
  };
  await runProgram(ffmpeg, args, { cwd: dir, signal, feed: frames });
  progress(1);
}

const even = (n: number) => Math.max(2, 2 * Math.round(n / 2));

/** Each value averaged with its neighbours: lips round over a few frames, not at once. */
const eased = (values: number[]) => values.map((_, i) => (values[Math.max(0, i - 1)]! + values[i]! + values[Math.min(values.length - 1, i + 1)]!) / 3);
