import { runProgram } from './run-program.ts';

/** Samples per second speech is decoded to, for its loudness and for PocketSphinx (it needs no more). */
export const SPEECH_RATE = 16_000;

/** Any audio ffmpeg reads, as 16 kHz mono 16-bit samples. validation_error when it cannot be read or holds none. */
export async function decodeSpeech(ffmpeg: string, audio: string, cwd: string, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const args = ['-hide_banner', '-nostats', '-i', audio, '-ac', '1', '-ar', String(SPEECH_RATE), '-f', 's16le', 'pipe:1'];
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

/** The length of decoded speech, in seconds. */
export const speechSeconds = (pcm: Buffer) => pcm.length / 2 / SPEECH_RATE;

/** Decoded speech as a WAV file (16-bit mono PCM at SPEECH_RATE), for a program that reads one. */
export function speechWav(pcm: Buffer): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(SPEECH_RATE, 24);
  h.writeUInt32LE(SPEECH_RATE * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}
