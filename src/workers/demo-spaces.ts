import type { Handler } from '../sdk/worker/serve.ts';
import { motionHandler } from './motion/handler.ts';
import { ocrHandler } from './ocr/handler.ts';
import { pointCloudHandler } from './point-cloud/handler.ts';
import { stillVideoHandler } from './still-video/handler.ts';
import { textGenerationHandler } from './text-generation/handler.ts';

/** A space `npm start` creates (if missing) and serves with a built-in worker. */
export interface DemoSpace {
  name: string;
  description: string;
  inputs: Record<string, true | { max_bytes?: number; mime?: string[] }>;
  timeout_s?: number;
  slots: number;
  handler: () => Handler;
}

/** Every image-taking demo space accepts the same: any image up to 10 MiB. */
const IMAGE_INPUT = { max_bytes: 10 * 1024 * 1024, mime: ['image/*'] };

export const DEMO_SPACES: DemoSpace[] = [
  {
    name: 'text-generation',
    description: 'Continues your text, one character at a time, with a 420K-parameter character-level transformer trained on Jane Austen (models/charlm). Small and fast, not smart.',
    inputs: { prompt: true },
    slots: 2,
    handler: () => textGenerationHandler(),
  },
  {
    name: 'ocr',
    description: 'Reads the text in an image (Tesseract LSTM, English) and returns it with word boxes and confidences.',
    inputs: { image: IMAGE_INPUT },
    slots: 1,
    handler: () => ocrHandler(),
  },
  {
    name: 'motion_detector',
    description: "Compares each frame with the same client's previous one: the fraction of pixels that changed and the box around them.",
    inputs: { image: IMAGE_INPUT },
    slots: 1, // one at a time: each frame is compared with the one before it
    handler: () => motionHandler(),
  },
  {
    name: 'audio-image-to-video',
    description: 'Puts a still image over your audio as an MP4 (ffmpeg, H.264/AAC, 25 fps). The face is not animated: this is not lip-sync.',
    inputs: { image: IMAGE_INPUT, audio: { max_bytes: 50 * 1024 * 1024, mime: ['audio/*'] } },
    timeout_s: 300,
    slots: 1,
    handler: () => stillVideoHandler(),
  },
  {
    name: 'images-to-3d',
    description: 'Turns images into a coloured point cloud (GLB): each image a relief panel, brighter pixels nearer, panels in a circle. A visual, not a reconstruction.',
    inputs: { image: IMAGE_INPUT },
    slots: 1,
    handler: () => pointCloudHandler(),
  },
];
