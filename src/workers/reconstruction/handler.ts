import { withScratchDir } from '../scratch-dir.ts';
import type { Handler, JobContext, WorkerJob } from '../../sdk/worker/serve.ts';
import { pointCloudHandler } from '../point-cloud/handler.ts';
import { sceneGlb } from '../point-cloud/glb.ts';
import { numberOption } from '../job-inputs.ts';
import { findOnPath } from '../programs.ts';
import { colmapSparse } from './colmap.ts';
import { faceModel } from './face-model.ts';
import { deltaOf } from './incremental.ts';
import { SessionImages, writeViews } from './session-views.ts';
import { cameraSpread, type SparseModel } from './colmap-model.ts';

/** Fewer views rarely share enough to start a model (12 views 30° apart failed here; 24 at 15° work). */
export const MIN_VIEWS = 8;
const METHOD = 'COLMAP 3.8 sparse reconstruction (SIFT features, exhaustive matching, incremental mapping)';

/**
 * Images → a 3D model (GLB). One portrait: its face as a textured mesh (face-model.ts). With
 * COLMAP installed and at least MIN_VIEWS overlapping images, a real reconstruction: COLMAP's
 * sparse points with their colours, and each registered camera drawn where it stood (a red cross
 * and the way it looked). An incremental generate brings only the new images: the worker keeps
 * the session's earlier ones (session-views.ts), reconstructs from all of them, and sends what the
 * new model adds, in the first model's frame (incremental.ts). Otherwise — too few images, no
 * COLMAP, or images it could not tie together — the relief panels of point-cloud/handler.ts, and
 * the result's `reconstruction` and `reason` say so. Options: `process_res` (the longest side
 * COLMAP looks at, default 1024) and `num_max_points` (at most that many points kept, evenly).
 */
export function reconstructionHandler(): Handler {
  const colmap = findOnPath('colmap');
  const relief = pointCloudHandler();
  const panels = async (job: WorkerJob, ctx: JobContext, reason: string) => {
    const out = await relief(job, ctx);
    return out && { ...(out as object), reconstruction: 'relief-panels', reason };
  };
  const sessions = new SessionImages();
  return async (job, ctx) => {
    const images = job.files.filter((f) => f.mime.startsWith('image/'));
    const incremental = job.options.incremental === true;
    if (images.length === 1 && !incremental) {
      ctx.progress(0.1, 'looking for a face');
      const face = await faceModel(images[0]!.data);
      if (face) {
        ctx.attach('model.glb', 'model/gltf-binary', face.glb);
        return { ...face.metadata, first_image: Number(job.options.first_image ?? 0), incremental: false };
      }
    }
    if (!colmap) return panels(job, ctx, 'COLMAP is not installed on this machine (Debian: apt-get install colmap)');
    const options = {
      maxImageSize: numberOption(job, 'process_res', 1024, 64, 4096),
      maxFeatures: 1024,
      signal: ctx.signal,
      progress: (p: number, m: string) => ctx.progress(p, m),
    };
    const sparse = (dir: string, count: number) =>
      colmapSparse(colmap, dir, count, options).catch((err: unknown) => {
        if (ctx.signal.aborted) throw err;
        return null;
      });
    const views = images.map((f) => ({ data: f.data, ext: extension(f.mime) }));
    if (incremental) {
      // The session's earlier images are kept here: COLMAP runs on all of them, and the delta is what the new model adds.
      const session = await sessions.add(String(job.options.session_id ?? job.id), views);
      if (session.images < MIN_VIEWS) return panels(job, ctx, `${session.images} image(s) in the session so far: a reconstruction needs at least ${MIN_VIEWS} overlapping views`);
      const model = await sparse(session.dir, session.images);
      if (!model || model.cameras.length < 3) return panels(job, ctx, notTied(model));
      const { delta, restarted } = deltaOf(session, model);
      return sparseResult(job, ctx, delta, { num_frames: session.images, num_cameras_registered: model.cameras.length, num_points_total: model.positions.length / 3, restarted });
    }
    if (images.length < MIN_VIEWS) return panels(job, ctx, `${images.length} image(s): a reconstruction needs at least ${MIN_VIEWS} overlapping views`);
    return withScratchDir('spaceport-colmap-', async (dir) => {
      await writeViews(dir, views);
      const model = await sparse(dir, images.length);
      if (!model || model.cameras.length < 3) return panels(job, ctx, notTied(model));
      return sparseResult(job, ctx, model, { num_frames: images.length, num_cameras_registered: model.cameras.length });
    });
  };
}

/** Why a model is not worth sending: COLMAP registered too few of the views (none, or under three). */
const notTied = (model: { cameras: unknown[] } | null) => `COLMAP could not tie the images together (${model?.cameras.length ?? 0} registered); views must overlap`;

/** A sparse model (or a delta of one) as the job's GLB, its points thinned to num_max_points, and its metadata. */
function sparseResult(job: WorkerJob, ctx: JobContext, model: SparseModel, counts: Record<string, number | boolean>): Record<string, unknown> {
  const points = thin(model, numberOption(job, 'num_max_points', 200_000, 100, 5_000_000));
  const glb = sceneGlb(
    [
      { name: 'points', mode: 'points', ...points },
      { name: 'cameras', mode: 'lines', ...cameraLines(model) },
    ],
    'Spaceport reconstruction worker (COLMAP)',
  );
  ctx.attach('model.glb', 'model/gltf-binary', glb);
  let error = 0;
  for (const e of model.errors) error += e;
  return {
    method: METHOD,
    reconstruction: 'colmap',
    ...counts,
    num_points: points.positions.length / 3,
    mean_reprojection_error_px: Math.round((error / Math.max(1, model.errors.length)) * 1000) / 1000,
    // Image indices in the session (a camera's index is in this job, or already in the session when incremental).
    cameras: model.cameras.map((c) => ({
      image: c.image + (job.options.incremental === true ? 0 : Number(job.options.first_image ?? 0)),
      center: c.center.map(round3),
    })),
    glb_size_bytes: glb.length,
    first_image: Number(job.options.first_image ?? 0),
    incremental: job.options.incremental === true,
  };
}

/** At most `max` of the model's points, taken evenly. */
function thin(model: SparseModel, max: number): { positions: Float32Array; colors: Float32Array } {
  const n = model.positions.length / 3;
  if (n <= max) return { positions: model.positions, colors: model.colors };
  const positions = new Float32Array(max * 3);
  const colors = new Float32Array(max * 3);
  for (let i = 0; i < max; i++) {
    const from = Math.floor((i * n) / max) * 3;
    positions.set(model.positions.subarray(from, from + 3), i * 3);
    colors.set(model.colors.subarray(from, from + 3), i * 3);
  }
  return { positions, colors };
}

/** Each camera as red line segments: a small cross where it stood and a stroke the way it looked. */
function cameraLines(model: SparseModel): { positions: Float32Array; colors: Float32Array } {
  // Sized to the cameras' spread, so they show at any scale COLMAP chose.
  const s = cameraSpread(model.cameras.map((c) => c.center)) * 0.02;
  const out: number[] = [];
  for (const {
    center: [x, y, z],
    looks: [dx, dy, dz],
  } of model.cameras) {
    out.push(x - s, y, z, x + s, y, z, x, y - s, z, x, y + s, z, x, y, z - s, x, y, z + s);
    out.push(x, y, z, x + dx * s * 4, y + dy * s * 4, z + dz * s * 4);
  }
  const positions = new Float32Array(out);
  const colors = new Float32Array(positions.length);
  for (let i = 0; i < colors.length; i += 3) colors[i] = 1;
  return { positions, colors };
}

const extension = (mime: string) => (mime === 'image/png' ? 'png' : mime === 'image/webp' ? 'webp' : 'jpg');
const round3 = (v: number) => Math.round(v * 1000) / 1000;
