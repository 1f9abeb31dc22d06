import sharp from 'sharp';
import type { WorkerJob } from '../sdk/worker/serve.ts';

/**
 * The job's image, checked to be one sharp can decode. Throws `INVALID_IMAGE: …` (a code the
 * frames dialect passes through as its error_code) when there is none or it is not an image.
 */
export async function imageOf(job: WorkerJob, index = 0): Promise<Buffer> {
  const images = job.files.filter((f) => f.input === 'image' || f.mime.startsWith('image/'));
  const file = images[index];
  if (!file) throw new Error('INVALID_IMAGE: the job has no image');
  try {
    const meta = await sharp(file.data).metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions');
  } catch {
    throw new Error(`INVALID_IMAGE: ${file.name} is not an image this worker can decode (${file.data.length} bytes)`);
  }
  return file.data;
}

/** The job's audio file (its `audio` input, or the first audio by type); validation_error when it has none. */
export function audioOf(job: WorkerJob): WorkerJob['files'][number] {
  const audio = job.files.find((f) => f.input === 'audio' || f.mime.startsWith('audio/'));
  if (!audio) throw new Error('validation_error: the job has no audio');
  return audio;
}

/** A numeric option of the job, `fallback` when absent or not a number, held within [lo, hi]. */
export function numberOption(job: WorkerJob, name: string, fallback: number, lo: number, hi: number): number {
  const v = Number(job.options[name] ?? fallback);
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : fallback;
}
