import sharp from 'sharp';
import type { Handler } from '../../sdk/worker/serve.ts';
import { imageOf } from '../job-inputs.ts';

/** Frames are compared at this width (aspect kept): enough for motion, cheap to diff. */
const WIDTH = 320;
/** Previous frames kept, one per client, least recently used dropped first. */
const MAX_CLIENTS = 1000;

interface Frame {
  width: number;
  height: number;
  pixels: Buffer;
}

/**
 * Motion between a client's consecutive frames: both are reduced to greyscale at 320 px wide, and
 * a pixel has changed when its brightness moved by more than `threshold` (0–1, default 0.1) of the
 * full range. The result is the changed fraction, whether it passes `min_fraction` (default
 * 0.005), and the bounding box of the change in the original frame's pixels. The first frame of a
 * client has nothing to compare with. Clients are told apart by who submitted (`owner`, which tells
 * anonymous visitors apart too) and, within that, `options.client_id` (the frames dialect's path).
 */
export function motionHandler(): Handler {
  const previous = new Map<string, Frame>();
  return async (job) => {
    const threshold = job.options.threshold ?? 0.1;
    const minFraction = job.options.min_fraction ?? 0.005;
    if (typeof threshold !== 'number' || threshold < 0 || threshold > 1) throw new Error('INVALID_OPTIONS: threshold must be a number from 0 to 1');
    if (typeof minFraction !== 'number' || minFraction < 0 || minFraction > 1) throw new Error('INVALID_OPTIONS: min_fraction must be a number from 0 to 1');
    const image = await imageOf(job);
    const meta = await sharp(image).metadata();
    const { data, info } = await sharp(image)
      .greyscale()
      .resize({ width: Math.min(WIDTH, meta.width!) })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const frame: Frame = { width: info.width, height: info.height, pixels: data };
    const client = `${job.owner}\n${String(job.options.client_id ?? '')}`;
    const before = previous.get(client);
    previous.delete(client);
    previous.set(client, frame);
    if (previous.size > MAX_CLIENTS) previous.delete(previous.keys().next().value!);
    if (!before || before.width !== frame.width || before.height !== frame.height) {
      return { motion_detected: false, changed_fraction: 0, bbox: null, first_frame: true, width: meta.width, height: meta.height };
    }
    const limit = threshold * 255;
    let changed = 0;
    let x0 = Infinity,
      y0 = Infinity,
      x1 = -1,
      y1 = -1;
    for (let y = 0; y < frame.height; y++) {
      for (let x = 0; x < frame.width; x++) {
        const i = y * frame.width + x;
        if (Math.abs(frame.pixels[i]! - before.pixels[i]!) > limit) {
          changed++;
          if (x < x0) x0 = x;
          if (y < y0) y0 = y;
          if (x > x1) x1 = x;
          if (y > y1) y1 = y;
        }
      }
    }
    const fraction = changed / (frame.width * frame.height);
    const scale = meta.width! / frame.width;
    const bbox = changed ? { x: Math.floor(x0 * scale), y: Math.floor(y0 * scale), width: Math.ceil((x1 - x0 + 1) * scale), height: Math.ceil((y1 - y0 + 1) * scale) } : null;
    return {
      motion_detected: fraction >= minFraction,
      changed_fraction: Math.round(fraction * 10000) / 10000,
      bbox,
      first_frame: false,
      width: meta.width,
      height: meta.height,
    };
  };
}
