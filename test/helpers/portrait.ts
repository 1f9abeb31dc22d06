import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

/**
 * A real face for the lip-sync tests: the portrait in a screenshot that Human (the face-landmark
 * package the lip-sync worker uses, MIT) ships among its assets, cut out and enlarged. A drawn
 * "face" would not be found by a face detector, and no photo is kept in this repository.
 */
export async function portrait(size = 320, format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  const human = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/human')), '..');
  const cut = sharp(join(human, 'assets', 'screenshot-faceid.jpg'))
    .extract({ left: 14, top: 142, width: 140, height: 140 })
    .resize(size, size, { kernel: 'lanczos3' });
  return format === 'png' ? cut.png().toBuffer() : cut.jpeg({ quality: 92 }).toBuffer();
}
