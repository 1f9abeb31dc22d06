import { SPEECH_RATE, speechSeconds } from '../speech-audio.ts';

/**
 * How far the mouth opens in each video frame, 0 (closed) to 1 (widest), from the audio's
 * loudness (its samples, decodeSpeech): each frame's window gives its RMS level, levels are
 * scaled by a loud one (the 95th percentile, so one shout does not shut the rest), and those under
 * a noise floor count as silence. Smoothed (fast to open, slower to close, as a jaw moves) unless
 * `nosmooth`. Also returns the audio's length in seconds.
 */
export function mouthOpenings(pcm: Buffer, fps: number, nosmooth: boolean): { openings: number[]; seconds: number } {
  const samples = new Int16Array(pcm.buffer, pcm.byteOffset, Math.floor(pcm.length / 2));
  const seconds = speechSeconds(pcm);
  const frames = Math.max(1, Math.round(seconds * fps));
  const levels = new Array<number>(frames);
  for (let f = 0; f < frames; f++) {
    const from = Math.floor((f * SPEECH_RATE) / fps);
    const to = Math.min(samples.length, Math.floor(((f + 1) * SPEECH_RATE) / fps));
    let sum = 0;
    for (let i = from; i < to; i++) sum += samples[i]! * samples[i]!;
    levels[f] = to > from ? Math.sqrt(sum / (to - from)) / 32768 : 0;
  }
  const loud = [...levels].sort((a, b) => a - b)[Math.floor(0.95 * (frames - 1))]!;
  const floor = Math.max(0.01, loud * 0.12);
  const raw = levels.map((l) => (l <= floor || loud <= 0 ? 0 : Math.min(1, (l - floor) / Math.max(loud - floor, 1e-6))));
  if (nosmooth) return { openings: raw, seconds };
  const openings: number[] = [];
  let now = 0;
  for (const target of raw) {
    now += (target - now) * (target > now ? 0.7 : 0.45);
    openings.push(now < 0.02 ? 0 : now);
  }
  return { openings, seconds };
}
