import { createRequire } from 'node:module';
import { createWorker, type Worker } from 'tesseract.js';
import type { Handler } from '../../sdk/worker/serve.ts';
import { imageOf } from '../job-inputs.ts';

const require = createRequire(import.meta.url);
/** The English model ships in this npm package: tesseract.js never fetches anything. */
const ENGLISH = require('@tesseract.js-data/eng') as { langPath: string };

/**
 * Reads the text in an image with Tesseract (tesseract.js, LSTM English model). The result is the
 * text, the mean confidence (0–1), and each word with its confidence and bounding box. Options:
 * `threshold` (0–1) drops words whose confidence is below it.
 */
export function ocrHandler(): Handler {
  let worker: Promise<Worker> | undefined;
  const tesseract = () => (worker ??= createWorker('eng', 1, { langPath: ENGLISH.langPath, cacheMethod: 'none', gzip: true }));
  return async (job, ctx) => {
    const threshold = job.options.threshold ?? 0;
    if (typeof threshold !== 'number' || threshold < 0 || threshold > 1) throw new Error('INVALID_OPTIONS: threshold must be a number from 0 to 1');
    const image = await imageOf(job);
    ctx.progress(0.1, 'recognizing');
    const { data } = await (await tesseract()).recognize(image, {}, { blocks: true });
    const words = (data.blocks ?? [])
      .flatMap((b) => b.paragraphs.flatMap((p) => p.lines.flatMap((l) => l.words)))
      .filter((w) => w.confidence / 100 >= threshold)
      .map((w) => ({
        text: w.text,
        confidence: round(w.confidence / 100),
        bbox: { x: w.bbox.x0, y: w.bbox.y0, width: w.bbox.x1 - w.bbox.x0, height: w.bbox.y1 - w.bbox.y0 },
      }));
    const text = threshold > 0 ? words.map((w) => w.text).join(' ') : data.text.trim();
    return { text, confidence: round(data.confidence / 100), words };
  };
}

const round = (v: number) => Math.round(v * 1000) / 1000;
