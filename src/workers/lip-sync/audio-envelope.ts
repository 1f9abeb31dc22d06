import { runProgram } from '../run-program.ts';

/** Samples per second the audio is decoded to for its loudness (speech needs no more). */
export const RATE = 16_000;

/**
 * How far the mouth opens in each video frame, 0 (closed) to 1 (widest), from the audio's
 * loudness: ffmpeg decodes it to 16 kHz mono, each frame's window gives its RMS level, levels are
 * scaled by a loud one (the 95th percentile, so one shout does not shut the rest), and those under
 * a noise floor count as silence. Smoothed (fast to open, slower to close, as a jaw moves) unless
 * `nosmooth`. Also returns the audio's length in seconds, and its samples (16 kHz mono, 16-bit).
 */
export async function mouthOpenings(ffmpeg: string, audio: string, cwd: string, fps: number, nosmooth: boolean, signal: AbortSignal): Promise<{ openings: number[]; seconds: number; pcm: Buffer }> {
  const pcm = await decode(ffmpeg, audio, cwd, signal);
  const samples = new Int16Array(pcm.buffer, pcm.byteOffset, Math.floor(pcm.length / 2));
  const seconds = samples.length / RATE;
  const frames = Math.max(1, Math.round(seconds * fps));
  const levels = new Array<number>(frames);
  for (let f = 0; f < frames; f++) {
    const from = Math.floor((f * RATE) / fps);
    const to = Math.min(samples.length, Math.floor(((f + 1) * RATE) / fps));
    let sum = 0;
    for (let i = from; i < to; i++) sum += samples[i]! * samples[i]!;
    levels[f] = to > from ? Math.sqrt(sum / (to - from)) / 32768 : 0;
  }
  const loud = [...levels].sort((a, b) => a - b)[Math.floor(0.95 * (frames - 1))]!;
  const floor = Math.max(0.01, loud * 0.12);
  const raw = levels.map((l) => (l <= floor || loud <= 0 ? 0 : Math.min(1, (l - floor) / Math.max(loud - floor, 1e-6))));
  if (nosmooth) return { openings: raw, seconds, pcm };
  const openings: number[] = [];
  let now = 0;
  for (const target of raw) {
    now += (target - now) * (target > now ? 0.7 : 0.45);
    openings.push(now < 0.02 ? 0 : now);
  }
  return { openings, seconds, pcm };
}

async function decode(ffmpeg: string, audio: string, cwd: string, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const args = ['-hide_banner', '-nostats', '-i', audio, '-ac', '1', '-ar', String(RATE), '-f', 's16le', 'pipe:1'];
  try {
    await runProgram(ffmpeg, args, { cwd, signal, onData: (c) => chunks.push(c) });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new Error(`validation_error: the audio could not be decoded (${(err as Error).message.replace(/^processing_error: /, '')})`);
  }
  const pcm = Buffer.concat(chunks);
  if (pcm.length < 2) throw new Error('validation_error: the audio could not be decoded (no samples in it)');
  return pcm;
}
