import { withScratchDir } from '../scratch-dir.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Handler } from '../../sdk/worker/serve.ts';
import { findOnPath } from '../programs.ts';
import { runProgram } from '../run-program.ts';

/** flite's built-in voices (`flite -lv`); `slt` (a US English woman) unless the job asks. */
export const VOICES = ['slt', 'kal', 'kal16', 'awb', 'rms', 'awb_time'] as const;
/** Longer texts are refused: flite reads all of it before the first sample. */
const MAX_CHARACTERS = 5000;
export const NO_FLITE = 'processing_error: flite is not installed on this machine (Debian: apt-get install flite)';

/**
 * Text → speech with CMU Flite (Debian's `flite`, a BSD-style licence): a small diphone/cluster-unit
 * synthesiser, English only, a few milliseconds per second of speech. The job's prompt is read in
 * the voice of `options.voice`; the result is a WAV file with its length and voice.
 */
export function textToSpeechHandler(): Handler {
  const flite = findOnPath('flite');
  return async (job, ctx) => {
    if (!flite) throw new Error(NO_FLITE);
    const text = (job.prompt ?? '').trim();
    if (!text) throw new Error('validation_error: the prompt is empty: give the text to speak');
    if (text.length > MAX_CHARACTERS) throw new Error(`validation_error: the text is ${text.length} characters; at most ${MAX_CHARACTERS}`);
    const voice = String(job.options.voice ?? 'slt');
    if (!(VOICES as readonly string[]).includes(voice)) throw new Error(`validation_error: voice must be one of ${VOICES.join(', ')}`);
    return withScratchDir('spaceport-tts-', async (dir) => {
      ctx.progress(0.1, `speaking in the voice ${voice}`);
      // The text goes as an argument (no shell); a leading dash could be read as an option, so it never starts one.
      await runProgram(flite, ['-voice', voice, '-t', text.replace(/^-+/, ''), '-o', 'speech.wav'], { cwd: dir, signal: ctx.signal });
      const wav = await readFile(join(dir, 'speech.wav'));
      ctx.attach('speech.wav', 'audio/wav', wav);
      const rate = wav.readUInt32LE(24);
      const bytesPerSecond = wav.readUInt32LE(28);
      return { voice, characters: text.length, sample_rate: rate, duration_seconds: Math.round(((wav.length - 44) / bytesPerSecond) * 1000) / 1000, model_used: 'CMU Flite 2.2' };
    });
  };
}
