import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Handler, WorkerJob } from '../../sdk/worker/serve.ts';
import { imageOf } from '../image-input.ts';
import { findFfmpeg, NO_FFMPEG } from './ffmpeg-path.ts';

/** The system's ffmpeg, else the static build from npm (ffmpeg-path.ts); null when there is none. */
const FFMPEG = findFfmpeg();
const FPS = 25;

/**
 * Makes an MP4 of a still image with the audio under it (H.264 + AAC, 25 fps, as long as the
 * audio): what a talking-head pipeline produces before any lip movement is added. It does not
 * animate the face — it is not lip-sync and says so in its result. Options: `resize_factor`
 * (1, 2 or 4) divides the image size. Progress comes from ffmpeg itself (`-progress`).
 */
export function stillVideoHandler(): Handler {
  return async (job, ctx) => {
    if (!FFMPEG) throw new Error(NO_FFMPEG);
    const factor = Number(job.options.resize_factor ?? 1);
    if (![1, 2, 4].includes(factor)) throw new Error('validation_error: resize_factor must be 1, 2 or 4');
    const image = await imageOf(job);
    const audio = audioOf(job);
    const dir = await mkdtemp(join(tmpdir(), 'spaceport-video-'));
    try {
      // H.264 wants even dimensions; the factor shrinks the frame (and the work) as documented.
      const meta = await sharp(image).metadata();
      const width = even(meta.width! / factor);
      const height = even(meta.height! / factor);
      await writeFile(join(dir, 'image.png'), await sharp(image).resize(width, height, { fit: 'fill' }).png().toBuffer());
      await writeFile(join(dir, 'audio'), audio.data);
      const started = Date.now();
      // -shortest alone overshoots with a looped image (encoder lookahead): cut at the audio's length.
      const audioSeconds = await mediaDuration(dir, 'audio');
      const { frames, durationS } = await runFfmpeg(
        [
          '-y',
          '-loop',
          '1',
          '-framerate',
          String(FPS),
          '-i',
          'image.png',
          '-i',
          'audio',
          '-t',
          audioSeconds.toFixed(3),
          '-c:v',
          'libx264',
          '-tune',
          'stillimage',
          '-preset',
          'veryfast',
          '-pix_fmt',
          'yuv420p',
          '-r',
          String(FPS),
          '-c:a',
          'aac',
          '-b:a',
          '128k',
          '-shortest',
          '-movflags',
          '+faststart',
          '-progress',
          'pipe:1',
          '-nostats',
          'out.mp4',
        ],
        dir,
        ctx.signal,
        (fraction) => ctx.progress(fraction, 'encoding video'),
      );
      const seconds = (Date.now() - started) / 1000;
      const video = await readFile(join(dir, 'out.mp4'));
      ctx.attach('video.mp4', 'video/mp4', video);
      return {
        method: 'still image + audio (ffmpeg H.264/AAC); the face is not animated — this is not lip-sync',
        width,
        height,
        fps: FPS,
        frames_processed: frames,
        duration_seconds: Math.round(durationS * 1000) / 1000,
        encoding_fps: Math.round((frames / Math.max(seconds, 0.001)) * 10) / 10,
        processing_time: Math.round(seconds * 1000) / 1000,
        video_size: video.length,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

function audioOf(job: WorkerJob) {
  const audio = job.files.find((f) => f.input === 'audio' || f.mime.startsWith('audio/'));
  if (!audio) throw new Error('validation_error: the job has no audio');
  return audio;
}

const even = (n: number) => Math.max(2, 2 * Math.round(n / 2));

/** A media file's duration as ffmpeg reads it (`ffmpeg -i` reports it, then stops for want of an output). */
function mediaDuration(dir: string, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG!, ['-hide_banner', '-i', file], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', () => {
      const m = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(stderr);
      if (!m) return reject(new Error('validation_error: the audio could not be read (no duration)'));
      resolve(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]));
    });
  });
}

/** Runs ffmpeg in `dir`, reporting progress as the encoded time over the input duration. */
function runFfmpeg(args: string[], dir: string, signal: AbortSignal, progress: (fraction: number) => void): Promise<{ frames: number; durationS: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG!, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let durationS = 0;
    let frames = 0;
    let lastReported = -1;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-8000);
      // The audio's duration bounds the video (-shortest): take it from ffmpeg's input report.
      for (const m of chunk.matchAll(/Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/g)) {
        const d = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
        if (d > 0 && (durationS === 0 || d < durationS)) durationS = d;
      }
    });
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [key, value] = line.split('=');
        if (key === 'frame') frames = Number(value);
        if (key === 'out_time_us' && durationS > 0) {
          const fraction = Math.min(0.99, Number(value) / 1e6 / durationS);
          if (fraction - lastReported >= 0.05) {
            lastReported = fraction;
            progress(fraction);
          }
        }
      }
    });
    const abort = () => child.kill('SIGKILL');
    signal.addEventListener('abort', abort, { once: true });
    child.on('error', reject);
    child.on('close', (code) => {
      signal.removeEventListener('abort', abort);
      if (signal.aborted) return reject(signal.reason);
      if (code !== 0) return reject(new Error(`processing_error: ffmpeg failed (${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      resolve({ frames, durationS });
    });
  });
}
