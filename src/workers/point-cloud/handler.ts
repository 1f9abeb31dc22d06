import sharp, { type OutputInfo } from 'sharp';
import type { Handler } from '../../sdk/worker/serve.ts';
import { numberOption } from '../job-inputs.ts';
import { pointCloudGlb } from './glb.ts';

/** Panels around a circle: one every 30°, so twelve images go once around. */
const PANEL_ANGLE = Math.PI / 6;
const RADIUS = 1.5;
/** How far the brightest pixel stands out of its panel, in panel heights. */
const RELIEF = 0.25;
/** Width of the relief map sent as live media after each panel. */
const PREVIEW_WIDTH = 160;

/**
 * Images → a coloured point cloud (GLB). Not a reconstruction: no depth is estimated from
 * geometry. Each image becomes a relief panel — its pixels as points, brighter ones standing out
 * further (depth from luminance) — and the panels stand in a circle, image k at k × 30°, facing
 * the middle. Options (from the session): `process_res` (longest side sampled, default 504) and
 * `num_max_points` (default 200,000) bound the work; `first_image` places an incremental batch
 * after the panels already sent, so deltas never overlap. After each panel a partial result carries
 * its relief map — a greyscale PNG, brighter where points stand further out — as live media.
 */
export function pointCloudHandler(): Handler {
  return async (job, ctx) => {
    const images = job.files.filter((f) => f.mime.startsWith('image/'));
    if (images.length === 0) throw new Error('the job has no images');
    const res = numberOption(job, 'process_res', 504, 16, 2048);
    const maxPoints = numberOption(job, 'num_max_points', 200_000, 100, 5_000_000);
    const first = Math.max(0, Math.floor(Number(job.options.first_image ?? 0)));
    const perImage = Math.floor(maxPoints / images.length);
    const positions: number[] = [];
    const colors: number[] = [];
    for (const [i, file] of images.entries()) {
      if (ctx.signal.aborted) return undefined;
      let raw: { data: Buffer; info: OutputInfo };
      try {
        raw = await sharp(file.data).removeAlpha().resize({ width: res, height: res, fit: 'inside', withoutEnlargement: true }).raw().toBuffer({ resolveWithObject: true });
      } catch {
        throw new Error(`${file.name} is not an image this worker can decode`);
      }
      const { width, height } = raw.info;
      const step = Math.max(1, Math.ceil(Math.sqrt((width * height) / perImage)));
      const angle = (first + i) * PANEL_ANGLE;
      const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
      const aspect = width / height;
      for (let y = 0; y < height; y += step) {
        for (let x = 0; x < width; x += step) {
          const p = (y * width + x) * 3;
          const [r, g, b] = [raw.data[p]! / 255, raw.data[p + 1]! / 255, raw.data[p + 2]! / 255];
          const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
          // Panel coordinates: x across, y up (image rows go down), z out of the panel toward the middle.
          const px = (x / width - 0.5) * aspect;
          const py = 0.5 - y / height;
          const pz = luminance * RELIEF;
          // The panel stands at RADIUS, facing the centre, turned by its angle about the vertical axis.
          const d = RADIUS - pz;
          positions.push(cos * px + sin * d, py, -sin * px + cos * d);
          colors.push(r, g, b);
        }
      }
      ctx.progress((i + 1) / images.length, `image ${i + 1} of ${images.length}`);
      const relief = await sharp(raw.data, { raw: { width, height, channels: 3 } })
        .greyscale()
        .resize({ width: Math.min(PREVIEW_WIDTH, width) })
        .png()
        .toBuffer();
      ctx.partial({ relief_map: first + i + 1, of: images.length }, [{ name: `relief-${first + i + 1}.png`, mime: 'image/png', data: relief }]);
      await new Promise((r) => setImmediate(r));
    }
    const glb = pointCloudGlb(new Float32Array(positions), new Float32Array(colors));
    ctx.attach('model.glb', 'model/gltf-binary', glb);
    return {
      method: 'luminance relief panels in a circle (not a geometric reconstruction)',
      num_frames: images.length,
      num_points: positions.length / 3,
      glb_size_bytes: glb.length,
      first_image: first,
      incremental: job.options.incremental === true,
    };
  };
}
