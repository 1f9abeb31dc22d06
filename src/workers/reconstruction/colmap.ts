import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runProgram } from '../run-program.ts';
import { parseSparseModel, type SparseModel } from './colmap-model.ts';

/**
 * Runs COLMAP's sparse reconstruction on the images in `dir/images`: SIFT features (CPU, at most
 * `maxFeatures` per image, images scaled to `maxImageSize`), every pair matched, incremental
 * mapping, the largest model written as text and read back. Progress comes from COLMAP's own log:
 * files processed, blocks matched, images registered. Null when no model could be made.
 */
export async function colmapSparse(
  colmap: string,
  dir: string,
  images: number,
  options: { maxImageSize: number; maxFeatures: number; signal: AbortSignal; progress: (fraction: number, message: string) => void },
): Promise<SparseModel | null> {
  const run = (args: string[], onLine?: (line: string) => void) => runProgram(colmap, args, { cwd: dir, signal: options.signal, ...(onLine && { onLine }), env: { QT_QPA_PLATFORM: 'offscreen' } });
  // A run starts clean (an incremental session runs again in the same folder, with more images).
  for (const old of await readdir(dir)) if (old !== 'images') await rm(join(dir, old), { recursive: true, force: true });
  const db = ['--database_path', 'database.db'];
  await run(
    ['feature_extractor', ...db, '--image_path', 'images', '--ImageReader.single_camera', '1', '--ImageReader.camera_model', 'SIMPLE_RADIAL', '--SiftExtraction.use_gpu', '0'].concat([
      '--SiftExtraction.max_image_size',
      String(options.maxImageSize),
      '--SiftExtraction.max_num_features',
      String(options.maxFeatures),
    ]),
    (line) => {
      const m = /Processed file \[(\d+)\/(\d+)\]/.exec(line);
      if (m) options.progress(0.3 * (Number(m[1]) / Number(m[2])), `features: image ${m[1]} of ${m[2]}`);
    },
  );
  await run(['exhaustive_matcher', ...db, '--SiftMatching.use_gpu', '0', '--ExhaustiveMatching.block_size', '8'], (line) => {
    const m = /Matching block \[(\d+)\/(\d+), (\d+)\/(\d+)\]/.exec(line);
    if (m) {
      const done = (Number(m[1]) - 1) * Number(m[4]) + Number(m[3]);
      options.progress(0.3 + 0.45 * (done / (Number(m[2]) * Number(m[4]))), 'matching features between images');
    }
  });
  await mkdir(join(dir, 'sparse'));
  await run(['mapper', ...db, '--image_path', 'images', '--output_path', 'sparse'], (line) => {
    const m = /Registering image #\d+ \((\d+)\)/.exec(line);
    if (m) options.progress(0.75 + 0.2 * Math.min(1, Number(m[1]) / images), `registered ${m[1]} of ${images} images`);
  });
  // Several models when the images fall into groups that share nothing: the one with most points.
  const models = await readdir(join(dir, 'sparse'));
  let best: SparseModel | null = null;
  for (const model of models) {
    const text = join(dir, `model-${model}`);
    await mkdir(text);
    await run(['model_converter', '--input_path', join('sparse', model), '--output_path', text, '--output_type', 'TXT']);
    const parsed = parseSparseModel(await readFile(join(text, 'points3D.txt'), 'utf8'), await readFile(join(text, 'images.txt'), 'utf8'));
    if (!best || parsed.positions.length > best.positions.length) best = parsed;
  }
  return best;
}
