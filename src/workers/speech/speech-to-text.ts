import { withScratchDir } from '../scratch-dir.ts';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Handler } from '../../sdk/worker/serve.ts';
import { findFfmpeg, findOnPath, NO_FFMPEG } from '../programs.ts';
import { audioOf } from '../job-inputs.ts';
import { runProgram } from '../run-program.ts';
import { decodeSpeech, speechSeconds, speechWav } from '../speech-audio.ts';

export const NO_POCKETSPHINX = 'processing_error: pocketsphinx is not installed on this machine (Debian: apt-get install pocketsphinx pocketsphinx-en-us)';
const MODEL = 'CMU PocketSphinx 5prealpha, US English acoustic model and language model (pocketsphinx-en-us)';

/** A recognised word with its time in the audio (seconds) and the decoder's confidence (0–1). */
interface Word {
  word: string;
  start: number;
  end: number;
  confidence: number;
}

/**
 * Speech → text with CMU PocketSphinx (Debian's `pocketsphinx` and `pocketsphinx-en-us`, BSD):
 * ffmpeg turns any audio into 16 kHz mono (decodeSpeech, as for lip-sync), the decoder splits it at pauses and recognises each
 * utterance; its words stream as tokens as each utterance is decoded, with progress by their time.
 * The result: the text, each word's start, end and confidence, and the audio's length.
 */
export function speechToTextHandler(): Handler {
  const decoder = findOnPath('pocketsphinx_continuous');
  const ffmpeg = findFfmpeg();
  return async (job, ctx) => {
    if (!decoder) throw new Error(NO_POCKETSPHINX);
    if (!ffmpeg) throw new Error(NO_FFMPEG);
    return withScratchDir('spaceport-stt-', async (dir) => {
      await writeFile(join(dir, 'input'), audioOf(job).data);
      ctx.progress(0.02, 'reading the audio');
      const pcm = await decodeSpeech(ffmpeg, 'input', dir, ctx.signal);
      await writeFile(join(dir, 'speech.wav'), speechWav(pcm));
      const seconds = speechSeconds(pcm);
      ctx.progress(0.05, 'recognising');
      const words: Word[] = [];
      // With -time yes, each utterance is a line of its text and then a line per word: "word start end confidence".
      await runProgram(decoder, ['-infile', 'speech.wav', '-time', 'yes', '-logfn', '/dev/null'], {
        cwd: dir,
        signal: ctx.signal,
        onLine: (line) => {
          const m = /^(\S+) (\d+\.\d+) (\d+\.\d+) (\d+(?:\.\d+)?)$/.exec(line.trim());
          if (!m) return;
          const word = m[1]!.replace(/\(\d+\)$/, ''); // "hello(2)": the dictionary's second pronunciation
          if (word.startsWith('<') || word.startsWith('[')) return; // <s>, </s>, <sil>, [NOISE]
          const w = { word, start: Number(m[2]), end: Number(m[3]), confidence: Math.round(Number(m[4]) * 1000) / 1000 };
          ctx.token(`${words.length > 0 ? ' ' : ''}${word}`);
          words.push(w);
          if (seconds > 0) ctx.progress(Math.min(0.99, 0.05 + (0.94 * w.end) / seconds), 'recognising');
        },
      });
      return { text: words.map((w) => w.word).join(' '), words, duration_seconds: Math.round(seconds * 1000) / 1000, model_used: MODEL };
    });
  };
}
